"""One DynamoDB client for every model of the ledger table.

PynamoDB gives each model class its own connection, and each connection its own botocore session and
client: the first call through a model loads botocore's endpoint rules and the DynamoDB service model
again (about 40-80 ms of CPU each), so a request touching eight models paid that eight times on a cold
start, and the test suite paid it in every test. All the product's models live in one table (one key
schema, pk/sk), so :class:`LedgerModel` hands every model's table connection the same
:class:`~pynamodb.connection.Connection`, whose table metadata is the union of the models' indexes.
"""

from __future__ import annotations

import threading
from typing import Any

from pynamodb.connection import Connection, TableConnection
from pynamodb.connection.base import MetaTable
from pynamodb.constants import (
    ATTR_DEFINITIONS,
    ATTR_NAME,
    GLOBAL_SECONDARY_INDEXES,
    INDEX_NAME,
    KEY_SCHEMA,
    LOCAL_SECONDARY_INDEXES,
    TABLE_NAME,
)
from pynamodb.models import Model

# (table, region, host) -> the one connection of that table; a process binds one table in Lambda, a new
# one per test in the suite, so the map stays small; it is bounded all the same
MAX_TABLES = 256
_shared: dict[tuple[str, str | None, str | None], Connection] = {}
_lock = threading.Lock()


def _merged(first: dict[str, Any], more: dict[str, Any]) -> dict[str, Any]:
    """Table metadata knowing the indexes and attributes of both models (same table, same keys)."""
    assert first[TABLE_NAME] == more[TABLE_NAME]
    assert first[KEY_SCHEMA] == more[KEY_SCHEMA], "every model of the ledger table keys on pk/sk"
    merged = dict(first)
    for field, key in (
        (GLOBAL_SECONDARY_INDEXES, INDEX_NAME),
        (LOCAL_SECONDARY_INDEXES, INDEX_NAME),
        (ATTR_DEFINITIONS, ATTR_NAME),
    ):
        known = {entry[key] for entry in first.get(field, [])}
        merged[field] = list(first.get(field, [])) + [e for e in more.get(field, []) if e[key] not in known]
    return merged


class LedgerModel(Model):
    """A model of the ledger table: its calls go through the table's one shared connection."""

    @classmethod
    def _get_connection(cls) -> TableConnection:
        table = super()._get_connection()
        key = (table.table_name, cls.Meta.region, cls.Meta.host)
        with _lock:
            shared = _shared.get(key)
            if shared is None:
                if len(_shared) >= MAX_TABLES:
                    _shared.clear()
                shared = _shared[key] = table.connection
            elif table.connection is not shared:
                name = table.table_name
                mine = table.connection.get_meta_table(name).data
                # the shared connection's metadata is private to it: replaced whole, never edited
                shared._tables[name] = MetaTable(_merged(shared.get_meta_table(name).data, mine))
                table.connection = shared
        return table

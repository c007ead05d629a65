"""PynamoDB models of the ledger table (single-table design; the schema itself lives in template.yaml).

Item shapes, all in one table so a whole entry plus its guards is one ``TransactWriteItems``:

* balance shard   ``pk=BAL#<account>#<shard>``  ``sk=BAL``      integer ``balance``
* entry header    ``pk=ENTRY#<entry_id>``       ``sk=ENTRY``    idempotency record + journal (postings)
* history row     ``pk=ENTRY#<entry_id>``       ``sk=HIST#<partition>``  one per posting but the first
* feature state   ``pk=<FEATURE>#...``          (progress, sessions, lots...) written by guards

``HistoryIndex`` (sparse: ``hist_pk``/``hist_sk``) lists an account's postings newest first, one row per
posting of every account whose policy keeps history (all of them, see ``data/ledger.toml``); a sharded
account has one partition per shard (``<account>#<shard>``). The entry header carries one posting's
history fields itself (a user's account first), so the common one-user entry costs no extra item for it. ``ExpiryIndex`` (sparse: ``exp_bucket``/``expires_at``) holds whatever must expire.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

from pynamodb.attributes import (
    JSONAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from reward_ledger import aws
from reward_ledger.ledger.table import LedgerModel

DEFAULT_TABLE = "LedgerTable"
# every model of the table (its Meta comes from here) loads botocore's JSON data once: see reward_ledger.aws
aws.share_with_pynamodb()


def _region() -> str:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"


class LedgerTableMeta:
    table_name = os.environ.get("LEDGER_TABLE", DEFAULT_TABLE)
    region = _region()
    host = os.environ.get("DYNAMODB_ENDPOINT") or None


class HistoryIndex(GlobalSecondaryIndex["HistoryRow"]):
    class Meta:
        index_name = "HistoryIndex"
        projection = AllProjection()

    hist_pk = UnicodeAttribute(hash_key=True)
    hist_sk = UnicodeAttribute(range_key=True)


class ExpiryIndex(GlobalSecondaryIndex["ExpiringItem"]):
    class Meta:
        index_name = "ExpiryIndex"
        projection = AllProjection()

    exp_bucket = UnicodeAttribute(hash_key=True)
    expires_at = UnicodeAttribute(range_key=True)


class BalanceItem(LedgerModel):
    """One shard of one account's balance (unsharded accounts have only shard 0)."""

    class Meta(LedgerTableMeta):
        pass

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default="BAL")
    account = UnicodeAttribute(null=True)
    asset = UnicodeAttribute(null=True)
    shard = NumberAttribute(null=True)
    balance = NumberAttribute(default=0)
    updated_at = UnicodeAttribute(null=True)


class PostingMap(MapAttribute[str, Any]):
    """One netted balance change of an entry: the journal line an auditor sums."""

    account = UnicodeAttribute()
    shard = NumberAttribute()
    delta = NumberAttribute()


class EntryItem(LedgerModel):
    """Entry header: the idempotency record and the journal of one atomic movement."""

    class Meta(LedgerTableMeta):
        pass

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default="ENTRY")
    entry_id = UnicodeAttribute()
    kind = UnicodeAttribute()
    scope = UnicodeAttribute()
    idem_key = UnicodeAttribute()
    request_hash = UnicodeAttribute()
    created_at = UnicodeAttribute()
    postings = ListAttribute(of=PostingMap, default=list)
    metadata = JSONAttribute(null=True)
    response = JSONAttribute(null=True)
    status_code = NumberAttribute(null=True)
    # "posted" for plain entries; "pending" -> "posted" | "voided" for two-phase entries
    state = UnicodeAttribute(default="posted")
    pending = JSONAttribute(null=True)
    resolved_by = UnicodeAttribute(null=True)
    # the entry that undid this one (an operator's reversal, or the void of a pending entry)
    reversed_by = UnicodeAttribute(null=True)
    hist_pk = UnicodeAttribute(null=True)
    hist_sk = UnicodeAttribute(null=True)
    hist_delta = NumberAttribute(null=True)
    exp_bucket = UnicodeAttribute(null=True)
    expires_at = UnicodeAttribute(null=True)
    exp_kind = UnicodeAttribute(null=True)

    history_index = HistoryIndex()


class HistoryRow(LedgerModel):
    """What the history index returns, whether the row is an entry header or an extra history row."""

    class Meta(LedgerTableMeta):
        pass

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    entry_id = UnicodeAttribute()
    kind = UnicodeAttribute()
    created_at = UnicodeAttribute()
    hist_pk = UnicodeAttribute(null=True)
    hist_sk = UnicodeAttribute(null=True)
    hist_delta = NumberAttribute(null=True)

    history_index = HistoryIndex()


class ExpiringItem(LedgerModel):
    """Any item in the expiry index (oxygen lot, egg batch, pending hold).

    ``exp_kind`` says which expirer handles it ("hold" is the ledger's own: a two-phase timeout).
    """

    class Meta(LedgerTableMeta):
        pass

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    exp_bucket = UnicodeAttribute(null=True)
    expires_at = UnicodeAttribute(null=True)
    exp_kind = UnicodeAttribute(null=True)

    expiry_index = ExpiryIndex()


class ReconcileRun(LedgerModel):
    """One reconciliation's report, kept for operators: ``pk=RECON`` ``sk=RUN#<run_id>`` (ids sort by time)."""

    class Meta(LedgerTableMeta):
        pass

    pk = UnicodeAttribute(hash_key=True, default="RECON")
    sk = UnicodeAttribute(range_key=True)
    run_id = UnicodeAttribute()
    started_at = UnicodeAttribute()
    finished_at = UnicodeAttribute()
    ok = UnicodeAttribute()  # "true" / "false": readable in the console without decoding the report
    report = JSONAttribute()


#: the ledger's own models; the product's feature models are declared in ``reward_ledger.wiring``
CORE_MODELS: tuple[type[Model], ...] = (BalanceItem, EntryItem, HistoryRow, ExpiringItem, ReconcileRun)


def bind_table(
    table_name: str, *, models: Iterable[type[Model]], region: str | None = None, host: str | None = None
) -> None:
    """Point ``models`` (all of the product's, see ``reward_ledger.wiring``) at ``table_name`` (tests and the
    local stack use generated names; in Lambda, ``LEDGER_TABLE`` names the table at import)."""
    for model in models:
        model.Meta.table_name = table_name
        model.Meta.region = region or _region()
        model.Meta.host = host
        model._connection = None


def table_name() -> str:
    return str(EntryItem.Meta.table_name)

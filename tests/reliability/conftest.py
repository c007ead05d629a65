"""Reliability fixtures: a moto server reached over HTTP, with the ledger table bound to it."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import boto3
import pytest
from moto.server import ThreadedMotoServer

from infra.template import create_tables
from reward_ledger import clock
from reward_ledger.ledger.models import EntryItem
from reward_ledger.wiring import PRODUCT


@dataclass(frozen=True)
class MotoServer:
    url: str
    table: str


@pytest.fixture(scope="module")
def moto_server() -> Iterator[MotoServer]:
    """moto as a server on 127.0.0.1 (a free port): every DynamoDB call is a real HTTP request.

    ``create_tables`` installs ``infra.moto_patches`` in this process, where the server's threads run, so
    each request is applied atomically, as DynamoDB applies a transaction.
    """
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one access-log line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    saved = (EntryItem.Meta.table_name, EntryItem.Meta.region, EntryItem.Meta.host)
    try:
        client = boto3.client("dynamodb", region_name="us-east-1", endpoint_url=url)
        names = create_tables(client, suffix=f"-{uuid.uuid4().hex[:8]}")
        PRODUCT.bind_table(names["LedgerTable"], region="us-east-1", host=url)
        yield MotoServer(url, names["LedgerTable"])
    finally:
        PRODUCT.bind_table(saved[0], region=saved[1], host=saved[2])
        clock.set_now(None)
        server.stop()

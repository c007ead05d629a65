"""Fixtures of the seeds, coupons and rentals tests: APIs, seeded users, and moto serialised for threads."""

from __future__ import annotations

import copy
import threading
from typing import Any

import moto.dynamodb.models as ddb_models
import pytest
from moto.core.botocore_stubber import BotocoreStubber
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table

from reward_ledger.ledger import EntryRequest, IdempotencyKey, Ledger, Leg, external_account, user_account
from tests.conftest import Api


@pytest.fixture
def seeds_api(ledger_table: str) -> Api:
    return Api("SeedsFunction")


@pytest.fixture
def coupons_api(ledger_table: str) -> Api:
    return Api("CouponsFunction")


@pytest.fixture
def rentals_api(ledger_table: str) -> Api:
    return Api("RentalsFunction")


@pytest.fixture
def charity_api(ledger_table: str) -> Api:
    return Api("CharityFunction")


@pytest.fixture
def serialised_moto(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto's in-process backend is not thread-safe; DynamoDB applies each request atomically.

    One lock around moto's request processing restores that per-request atomicity, so a threaded test
    exercises the ledger's own logic (conditions, shard fallback, retries) under interleaved requests.

    moto also backs up a transaction by deep-copying the whole table once per item of the transaction,
    which makes a storm quadratic (minutes); here the backup is of the touched items only, restored when
    the transaction is cancelled: the same all-or-nothing outcome, in linear time.
    """
    lock = threading.Lock()
    original = BotocoreStubber.process_request

    def serialised(self: BotocoreStubber, request: Any) -> Any:
        with lock:
            return original(self, request)

    monkeypatch.setattr(BotocoreStubber, "process_request", serialised)
    _cheap_transaction_backups(monkeypatch)


def _cheap_transaction_backups(monkeypatch: pytest.MonkeyPatch) -> None:
    class _NoTableCopy:
        """moto's models module sees this as ``copy``: tables are not copied, everything else is."""

        @staticmethod
        def deepcopy(value: Any) -> Any:
            return value if isinstance(value, Table) else copy.deepcopy(value)

    monkeypatch.setattr(ddb_models, "copy", _NoTableCopy)
    original = DynamoDBBackend.transact_write_items

    def transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
        backups = []
        for entry in transact_items:
            op = next(iter(entry.values()))
            table = self.get_table(op["TableName"])
            key = op.get("Key") or op["Item"]
            hash_key = DynamoType(key[table.hash_key_attr])
            range_key = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
            backups.append((table, hash_key, range_key, copy.deepcopy(table.get_item(hash_key, range_key))))
        try:
            original(self, transact_items)
        except Exception:
            for table, hash_key, range_key, item in reversed(backups):
                if item is None:
                    table.delete_item(hash_key, range_key)
                elif range_key is None:
                    table.items[hash_key] = item
                else:
                    table.items[hash_key][range_key] = item
            raise

    monkeypatch.setattr(DynamoDBBackend, "transact_write_items", transact_write_items)


def give_seeds(ledger: Ledger, user: str, seeds: int) -> None:
    idem = IdempotencyKey("test:seeds", f"{user}:{seeds}", {})
    ledger.transfer(
        EntryRequest(
            idempotency=idem,
            kind="test.seeds",
            legs=[Leg(external_account("seeds", "SEED"), user_account(user, "seeds", "SEED"), seeds)],
        )
    )


def run_threads(count: int, work: Any) -> list[Any]:
    """Run ``work(i)`` for i in range(count) on ``count`` threads released together; results in order."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def runner(i: int) -> None:
        barrier.wait()
        try:
            results[i] = work(i)
        except Exception as exc:  # collected and asserted by the test
            results[i] = exc

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results

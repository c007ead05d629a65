"""Bench helpers: moto with the template's tables, and a DynamoDB call counter on a botocore event hook.

The counter is a ``before-call.dynamodb`` handler added to botocore's built-in handlers, so every
client created afterwards (boto3's and PynamoDB's) reports each API call: operation name, and for
``TransactWriteItems`` the keys of the items it writes (to measure hot items).
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from botocore.handlers import BUILTIN_HANDLERS

for _name, _value in {
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_DISABLED": "true",
    "POWERTOOLS_LOG_LEVEL": "ERROR",
}.items():
    os.environ.setdefault(_name, _value)


@dataclass
class DynamoCalls:
    """Counts DynamoDB API calls while ``active``; ``written`` counts transactional writes per item key."""

    active: bool = False
    calls: Counter[str] = field(default_factory=Counter)
    written: Counter[str] = field(default_factory=Counter)

    def __call__(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        if not self.active:
            return
        self.calls[model.name] += 1
        if model.name != "TransactWriteItems":
            return
        body = params.get("body") or b"{}"  # before-call sees the serialised request
        for item in json.loads(body).get("TransactItems", []):
            for op in ("Put", "Update", "Delete"):
                if op in item:
                    key = item[op].get("Key") or {
                        k: v for k, v in item[op].get("Item", {}).items() if k in ("pk", "sk")
                    }
                    self.written[json.dumps(key, sort_keys=True)] += 1

    def reset(self) -> None:
        self.calls.clear()
        self.written.clear()

    @property
    def total(self) -> int:
        return sum(self.calls.values())

    @contextmanager
    def measure(self) -> Iterator[DynamoCalls]:
        self.reset()
        self.active = True
        try:
            yield self
        finally:
            self.active = False


CALLS = DynamoCalls()
BUILTIN_HANDLERS.append(("before-call.dynamodb", CALLS))


@contextmanager
def moto_ledger_table() -> Iterator[str]:
    """moto in process with the tables of template.yaml; every ledger model bound to LedgerTable, and
    the game catalog seeded as a deploy seeds it (a new execution environment: nothing cached)."""
    import boto3
    from moto import mock_aws

    from infra.template import create_tables
    from reward_ledger import runtime
    from reward_ledger.games.seed import seed_games
    from reward_ledger.wiring import PRODUCT

    with mock_aws():
        names = create_tables(boto3.client("dynamodb", region_name="us-east-1"))
        PRODUCT.bind_table(names["LedgerTable"])
        runtime.new_environment()
        seed_games(PRODUCT.ledger())
        yield names["LedgerTable"]


def fund_book(ledger: Any, user: str, book: str, amount: int, asset: str = "CNY") -> None:
    """Credit ``amount`` to ``user:<user>/<book>/<asset>`` from ``external:bench`` (set-up, idempotent)."""
    from reward_ledger.ledger import EntryRequest, IdempotencyKey, Leg, external_account, user_account

    ledger.transfer(
        EntryRequest(
            idempotency=IdempotencyKey("bench-fund", f"{user}/{book}"),
            kind="bench",
            legs=[Leg(external_account("bench", asset), user_account(user, book, asset), amount)],
        )
    )


def calls_per_event(action: Any, events: int = 20) -> float:
    """Average DynamoDB calls of ``action(i)`` over ``events`` runs (after the caller warmed up)."""
    with CALLS.measure():
        for i in range(events):
            action(i)
    return CALLS.total / events


@dataclass
class BackendTime:
    """CPU seconds spent inside moto's request handling (the stand-in for DynamoDB) while ``measure``.

    What a bench measures minus this is the client's own CPU: the handler, the domain, PynamoDB and
    botocore serialising and parsing, which is what a Lambda function pays besides waiting for DynamoDB.
    """

    seconds: float = 0.0
    active: bool = False

    @contextmanager
    def measure(self) -> Iterator[BackendTime]:
        from moto.core.botocore_stubber import BotocoreStubber

        original = BotocoreStubber.__call__
        meter = self

        def timed(stubber: Any, *args: Any, **kwargs: Any) -> Any:
            started = time.process_time()
            try:
                return original(stubber, *args, **kwargs)
            finally:
                meter.seconds += time.process_time() - started

        self.seconds, self.active = 0.0, True
        BotocoreStubber.__call__ = timed
        try:
            yield self
        finally:
            BotocoreStubber.__call__ = original
            self.active = False


BACKEND = BackendTime()

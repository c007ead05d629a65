"""Ledger core figures: DynamoDB calls per entry (plain, replay), throughput vs raw TransactWriteItems.

The raw side sends, with boto3 on a fresh moto table, the exact requests the ledger sent (recorded from
its client), so both sides ask moto for the same work and the ratio isolates the ledger's own Python.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

import boto3

from bench.common import CALLS, calls_per_event, moto_ledger_table
from reward_ledger.ledger import EntryRequest, IdempotencyKey, Ledger, Leg, external_account, user_account
from reward_ledger.ledger.models import EntryItem
from reward_ledger.wiring import PRODUCT

ISSUER = external_account("bench", "CNY")


def _transfer(ledger: Ledger, key: str, user: str, amount: int = 1) -> Any:
    idem = IdempotencyKey("bench", key, {"user": user, "amount": amount})
    return ledger.transfer(
        EntryRequest(
            idempotency=idem,
            kind="bench",
            legs=[Leg(user_account(user, "wallet", "CNY"), user_account(user, "purse", "CNY"), amount)],
            response={"entry_id": idem.entry_id},
        )
    )


@contextmanager
def _recorded_transactions() -> Iterator[list[dict[str, Any]]]:
    """Every ``TransactWriteItems`` request the ledger sends, as the API parameters it serialised."""
    recorded: list[dict[str, Any]] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        recorded.append(json.loads(params.get("body") or b"{}"))  # DynamoDB's JSON body = the API params

    client = EntryItem._get_connection().connection.client  # the connection Ledger._send uses
    client.meta.events.register("before-call.dynamodb.TransactWriteItems", record)
    try:
        yield recorded
    finally:
        client.meta.events.unregister("before-call.dynamodb.TransactWriteItems", record)


def run() -> dict[str, Any]:
    users = [f"u{i}" for i in range(50)]
    n = 600
    with moto_ledger_table(), _recorded_transactions() as recorded:
        ledger = PRODUCT.ledger()
        for user in users:  # fund every wallet (also warms connections up)
            idem = IdempotencyKey("bench-fund", user, {})
            ledger.transfer(
                EntryRequest(
                    idempotency=idem,
                    kind="fund",
                    legs=[Leg(ISSUER, user_account(user, "wallet", "CNY"), 10**9)],
                )
            )
        plain = calls_per_event(lambda i: _transfer(ledger, f"t{i}", users[i % 50]))
        replay = calls_per_event(lambda i: _transfer(ledger, f"t{i}", users[i % 50]))
        assert all(_transfer(ledger, f"t{i}", users[i % 50]).replayed for i in range(3))
        setup = list(recorded)  # funding and the first transfers, replayed untimed below

        started = time.perf_counter()
        for i in range(n):
            _transfer(ledger, f"speed{i}", users[i % 50])
        ledger_rate = n / (time.perf_counter() - started)
        timed = recorded[len(setup) :]
        CALLS.reset()

    # The very requests the ledger sent (same items, conditions, expressions), sent again with boto3 on a
    # fresh table: the difference is only the ledger's own Python around the call.
    with moto_ledger_table():
        client = boto3.client("dynamodb", region_name="us-east-1")
        for params in setup:
            # the setup's replays are refused by the header's condition, as they were the first time
            with suppress(client.exceptions.TransactionCanceledException):
                client.transact_write_items(**params)
        started = time.perf_counter()
        for params in timed:
            client.transact_write_items(**params)
        raw_rate = len(timed) / (time.perf_counter() - started)
    return {
        "ddb_calls_per_event": {"transfer": plain, "transfer_replay": replay},
        "throughput": {
            "ledger_transfers_per_s": round(ledger_rate, 1),
            "raw_transact_write_items_per_s": round(raw_rate, 1),
            "ledger_vs_raw_ratio": round(ledger_rate / raw_rate, 3),
            "ledger_python_ms_per_transfer": round((1 / ledger_rate - 1 / raw_rate) * 1000, 2),
        },
    }

"""Ledger core figures: DynamoDB calls per entry (plain, replay), throughput vs raw TransactWriteItems."""

from __future__ import annotations

import time
from typing import Any

import boto3

from bench.common import CALLS, calls_per_event, moto_ledger_table
from reward_ledger.ledger import EntryRequest, IdempotencyKey, Ledger, Leg, external_account, user_account

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


def run() -> dict[str, Any]:
    with moto_ledger_table() as table:
        ledger = Ledger()
        users = [f"u{i}" for i in range(50)]
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

        n = 600
        started = time.perf_counter()
        for i in range(n):
            _transfer(ledger, f"speed{i}", users[i % 50])
        ledger_rate = n / (time.perf_counter() - started)

        client = boto3.client("dynamodb", region_name="us-east-1")
        started = time.perf_counter()
        for i in range(n):
            user = users[i % 50]
            client.transact_write_items(
                TransactItems=[
                    {
                        "Update": {
                            "TableName": table,
                            "Key": {"pk": {"S": f"RAW#{user}#wallet"}, "sk": {"S": "BAL"}},
                            "UpdateExpression": "ADD balance :m",
                            "ExpressionAttributeValues": {":m": {"N": "-1"}},
                        }
                    },
                    {
                        "Update": {
                            "TableName": table,
                            "Key": {"pk": {"S": f"RAW#{user}#purse"}, "sk": {"S": "BAL"}},
                            "UpdateExpression": "ADD balance :p",
                            "ExpressionAttributeValues": {":p": {"N": "1"}},
                        }
                    },
                    {
                        "Put": {
                            "TableName": table,
                            "Item": {"pk": {"S": f"RAWENTRY#{i}"}, "sk": {"S": "ENTRY"}},
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                ]
            )
        raw_rate = n / (time.perf_counter() - started)
        CALLS.reset()
    return {
        "ddb_calls_per_event": {"transfer": plain, "transfer_replay": replay},
        "throughput": {
            "ledger_transfers_per_s": round(ledger_rate, 1),
            "raw_transact_write_items_per_s": round(raw_rate, 1),
            "ledger_vs_raw_ratio": round(ledger_rate / raw_rate, 3),
        },
    }

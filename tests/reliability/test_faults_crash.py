"""Crashes after a commit: the Lambda dies before answering, the SQS worker dies before acknowledging,
the expiry sweep dies mid-run. Each time the retry (client, SQS redelivery, next sweep) must find the
committed entry and move nothing twice, and nothing may be lost.

These run against in-process moto (the ``ledger_table`` fixture); the network faults over HTTP are in
``test_faults_connection.py``. Plain redeliveries and a sweep killed *before* a write are covered by
``tests/games/test_withdrawals.py`` and ``tests/forest/test_sweep.py``; these add the crash *after* the
write committed.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from infra.apigw import eventbridge_event
from infra.handlers import invoke, load_module
from reward_ledger import clock, forest, sweep
from reward_ledger.ledger import (
    EntryRequest,
    IdempotencyKey,
    Ledger,
    Leg,
    expiry_for,
    external_account,
    hold_account,
    reconcile,
    user_account,
)
from reward_ledger.ledger.models import EntryItem
from reward_ledger.wiring import PRODUCT
from tests.conftest import Api, fund

T0 = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)  # 10:00 in Asia/Shanghai
ISSUER = external_account("crash", "CNY")


class LambdaCrash(BaseException):
    """The execution environment dies (timeout, out of memory): nothing in the handler can catch it."""


def entries(kind: str) -> list[EntryItem]:
    return [e for e in EntryItem.scan(EntryItem.sk == "ENTRY") if e.kind == kind]


def choose(user: str, key: str) -> tuple[int, dict[str, Any], dict[str, str]]:
    return Api("SavingsFunction").call(
        "POST",
        "/v1/stories/first-date/choices",
        route="/v1/stories/{story_id}/choices",
        path_parameters={"story_id": "first-date"},
        body={"chapter": 1, "choice_id": "flowers"},
        headers={"Idempotency-Key": key},
        user=user,
    )


def crash_once(monkeypatch: pytest.MonkeyPatch, module: Any, name: str, error: BaseException) -> list[int]:
    """Replace ``module.name`` so that its first call raises ``error`` (after the commit it follows)."""
    real = getattr(module, name)
    calls: list[int] = []

    def crashing(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise error
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, crashing)
    return calls


# ---------------------------------------------------------------------- Lambda dies before answering
@pytest.mark.parametrize(
    "error",
    [RuntimeError("response shaping failed"), LambdaCrash("environment killed")],
    ids=["error-after-commit", "process-killed-after-commit"],
)
def test_a_lambda_crash_between_commit_and_response_is_replayed_on_the_client_retry(
    ledger: Ledger, monkeypatch: pytest.MonkeyPatch, error: BaseException
) -> None:
    user = f"crash-{type(error).__name__.lower()}"
    fund(user, 5_000)
    calls = crash_once(monkeypatch, load_module("SavingsFunction"), "entry_response", error)
    if isinstance(error, LambdaCrash):
        with pytest.raises(LambdaCrash):  # API Gateway would answer 500/503 on its own
            choose(user, "c-1")
    else:
        status, body, headers = choose(user, "c-1")
        assert (status, body["type"], headers["content-type"]) == (
            500,
            "internal-error",
            "application/problem+json",
        )
    wallet, purse = user_account(user, "wallet", "CNY"), user_account(user, "purse", "CNY")
    assert ledger.balances([wallet, purse]) == {wallet: 3_010, purse: 1_990}  # committed before the crash

    status, body, headers = choose(user, "c-1")  # the client retries with the same key
    assert len(calls) == 2
    assert (status, headers.get("idempotent-replayed")) == (201, "true")
    assert body["amount"] == 1_990 and body["progress"]["chapter"] == 2
    assert ledger.balances([wallet, purse]) == {wallet: 3_010, purse: 1_990}  # moved once
    assert len([e for e in entries("savings.choice") if e.scope.startswith(f"user:{user}|")]) == 1
    assert reconcile().ok


# ---------------------------------------------------------------------- withdrawals and their worker
@pytest.fixture
def withdrawal_queue(ledger_table: str, monkeypatch: pytest.MonkeyPatch) -> str:
    url = boto3.client("sqs", region_name="us-east-1").create_queue(QueueName="crash-withdrawals")["QueueUrl"]
    monkeypatch.setenv("WITHDRAWAL_QUEUE_URL", url)
    return str(url)


def receive_all(queue_url: str) -> list[dict[str, Any]]:
    """Every message as a Lambda SQS record (deleted from the queue, as a successful poll would)."""
    sqs = boto3.client("sqs", region_name="us-east-1")
    records: list[dict[str, Any]] = []
    for _ in range(20):  # bounded: the queues here hold a handful of messages
        got = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
        if not got:
            break
        for message in got:
            records.append(record(message["Body"], message["MessageId"]))
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return records


def record(body: str, message_id: str) -> dict[str, Any]:
    return {
        "messageId": message_id,
        "receiptHandle": f"rh-{message_id}",
        "body": body,
        "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "0"},
        "messageAttributes": {},
        "md5OfBody": "",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:000000000000:crash-withdrawals",
        "awsRegion": "us-east-1",
    }


def withdraw(user: str, amount: int, key: str) -> tuple[int, dict[str, Any], dict[str, str]]:
    return Api("WithdrawalsFunction").call(
        "POST", "/v1/withdrawals", body={"amount": amount}, headers={"Idempotency-Key": key}, user=user
    )


def give_cash(ledger: Ledger, user: str, amount: int) -> None:
    ledger.transfer(
        EntryRequest(
            idempotency=IdempotencyKey("crash", f"cash-{user}"),
            kind="crash.cash",
            legs=[Leg(ISSUER, user_account(user, "cash", "CNY"), amount)],
        )
    )


def test_a_crash_before_the_queue_send_is_healed_by_the_client_retry(
    ledger: Ledger, withdrawal_queue: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock.set_now(T0)
    user = "wd-send-crash"
    give_cash(ledger, user, 50)
    crash_once(monkeypatch, load_module("WithdrawalsFunction"), "enqueue", LambdaCrash("killed before send"))
    with pytest.raises(LambdaCrash):
        withdraw(user, 30, "w-1")
    assert receive_all(withdrawal_queue) == []  # the hold committed, the message was never sent

    status, body, headers = withdraw(user, 30, "w-1")
    assert (status, headers.get("idempotent-replayed")) == (202, "true")
    records = receive_all(withdrawal_queue)
    assert [json.loads(r["body"]) for r in records] == [{"withdrawal_id": body["withdrawal_id"]}]
    assert invoke("WithdrawalWorkerFunction", {"Records": records}) == {"batchItemFailures": []}
    cash, wallet = user_account(user, "cash", "CNY"), user_account(user, "wallet", "CNY")
    assert ledger.balances([cash, wallet]) == {cash: 20, wallet: 30}
    assert len([e for e in entries("games.withdrawal") if e.entry_id == body["withdrawal_id"]]) == 1
    assert reconcile().ok


def test_a_worker_dying_after_the_payout_commit_is_redelivered_and_pays_once(
    ledger: Ledger, withdrawal_queue: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock.set_now(T0)
    user = "wd-worker-crash"
    give_cash(ledger, user, 80)
    status, body, _ = withdraw(user, 60, "w-2")
    assert status == 202, body
    records = receive_all(withdrawal_queue)
    real_resolve = Ledger.resolve
    committed: list[str] = []

    def resolve_then_die(self: Ledger, entry_id: str, action: Any, **kwargs: Any) -> Any:
        result = real_resolve(self, entry_id, action, **kwargs)
        committed.append(action)
        if len(committed) == 1:
            raise RuntimeError("worker killed after the payout committed")
        return result

    monkeypatch.setattr(Ledger, "resolve", resolve_then_die)
    # first delivery: the payout commits, then the invocation fails (the batch is not acknowledged)
    with pytest.raises(BatchProcessingError):
        invoke("WithdrawalWorkerFunction", {"Records": records})
    assert committed == ["post"]
    # SQS redelivers it (at least once: here twice, one of them in a batch with a copy of itself)
    assert invoke("WithdrawalWorkerFunction", {"Records": records}) == {"batchItemFailures": []}
    copies = [record(records[0]["body"], f"copy-{n}") for n in range(3)]
    assert invoke("WithdrawalWorkerFunction", {"Records": copies}) == {"batchItemFailures": []}

    cash, wallet = user_account(user, "cash", "CNY"), user_account(user, "wallet", "CNY")
    assert ledger.balances([cash, wallet, hold_account("CNY")]) == {
        cash: 20,
        wallet: 60,
        hold_account("CNY"): 0,
    }
    payouts = [
        e for e in entries("games.withdrawal.post") if e.metadata["pending_entry"] == body["withdrawal_id"]
    ]
    assert len(payouts) == 1
    assert ledger.entry(body["withdrawal_id"]).state == "posted"
    assert reconcile().ok


# ---------------------------------------------------------------------- the expiry sweep dies mid-run
def test_a_sweep_killed_right_after_a_commit_finishes_on_the_next_run_exactly_once(
    ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Lots and pending holds in the same buckets; the worker dies after its 3rd write committed."""
    clock.set_now(T0)
    monkeypatch.setattr(
        sweep, "settings", lambda: sweep.SweepSettings(page_size=5, batch_size=2, max_pages_per_job=2)
    )
    granted = 0
    for i in range(12):
        detail = {
            "payment_id": f"crash-pay-{i}",
            "user_id": f"sweeper{i}",
            "amount": 1000,
            "category": "transit" if i % 2 else "bike",
            "occurred_at": clock.iso(clock.now()),
        }
        granted += invoke("PaymentsFunction", eventbridge_event("payments", "payment.completed", detail))[
            "oxygen"
        ]
    holds = []
    for i in range(3):
        wallet = user_account(f"holder{i}", "wallet", "CNY")
        ledger.transfer(
            EntryRequest(
                idempotency=IdempotencyKey("crash", f"fund-holder{i}"),
                kind="crash.fund",
                legs=[Leg(ISSUER, wallet, 100)],
            )
        )
        idem = IdempotencyKey("crash", f"deposit{i}")
        ledger.hold(
            EntryRequest(
                idempotency=idem,
                kind="crash.deposit",
                legs=[Leg(wallet, user_account(f"holder{i}", "purse", "CNY"), 40)],
            ),
            expiry=expiry_for(f"ENTRY#{idem.entry_id}", T0 + timedelta(hours=1)),
            on_timeout="void",
        )
        holds.append((wallet, idem.entry_id))

    clock.set_now(T0 + timedelta(hours=15))  # past the users' local midnight and the holds' deadline
    real_transfer = Ledger.transfer
    writes: list[str] = []

    def commit_then_die(self: Ledger, request: EntryRequest) -> Any:
        result = real_transfer(self, request)
        writes.append(request.kind)
        if len(writes) == 3:
            raise RuntimeError("sweep worker killed after a commit")
        return result

    monkeypatch.setattr(Ledger, "transfer", commit_then_die)
    with pytest.raises(RuntimeError):
        PRODUCT.sweeper(ledger).sweep_all()
    assert len(writes) == 3
    monkeypatch.setattr(Ledger, "transfer", real_transfer)
    for _ in range(3):  # the next runs finish the work; a run after that finds nothing
        PRODUCT.sweeper(ledger).sweep_all()
    assert PRODUCT.sweeper(ledger).sweep_all() == 0

    assert ledger.balances([forest.EXPIRED, forest.LOT_POOL]) == {forest.EXPIRED: granted, forest.LOT_POOL: 0}
    assert sum(int(e.metadata["lots"]) for e in entries("forest.expiry")) == 12  # each lot expired once
    for wallet, entry_id in holds:
        assert ledger.balance(wallet) == 100  # each deposit voided back once
        assert ledger.entry(entry_id).state == "voided"
    assert ledger.balance(hold_account("CNY")) == 0
    assert len(entries("crash.deposit.void")) == 3
    assert reconcile().ok
    assert forest.pool_mismatches(ledger) == []

"""The scheduled expiry sweep: fan-out to SQS, per-bucket workers, repeated and interrupted sweeps, holds."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import boto3
import pytest

from infra.handlers import invoke
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
from reward_ledger.ledger.expiry import bucket_of
from reward_ledger.ledger.models import EntryItem, ExpiringItem
from reward_ledger.wiring import PRODUCT
from tests.forest.conftest import job_body, pay, sqs_event, sweep_all

EntryItem = EntryItem


def expiry_entries() -> list[Any]:
    return [e for e in EntryItem.scan(EntryItem.sk == "ENTRY") if e.kind == "forest.expiry"]


def open_in_index() -> int:
    return sum(1 for shard in range(8) for _ in ExpiringItem.expiry_index.query(bucket_of(shard)))


def seed_lots(users: int) -> int:
    total = 0
    for i in range(users):
        total += pay(f"user{i}", "bike" if i % 2 else "transit", f"p{i}")["oxygen"]
    return total


def test_fanout_enqueues_one_job_per_shard(expiry_queue: str, now: datetime) -> None:
    assert invoke("ExpiryFanoutFunction", {"source": "aws.events", "detail-type": "Scheduled Event"}) == {
        "jobs": 8
    }
    sqs = boto3.client("sqs", region_name="us-east-1")
    bodies: set[str] = set()
    while True:
        got = sqs.receive_message(QueueUrl=expiry_queue, MaxNumberOfMessages=10).get("Messages", [])
        if not got:
            break
        bodies.update(m["Body"] for m in got)
    assert bodies == {job_body(shard) for shard in range(8)}


def test_worker_expires_buckets_and_reports_bad_messages_alone(ledger: Ledger, now: datetime) -> None:
    granted = seed_lots(20)
    clock.set_now(now + timedelta(hours=14))
    event = sqs_event([job_body(shard) for shard in range(8)] + ["not json"])
    answer = invoke("ExpiryWorkerFunction", event)
    assert answer == {"batchItemFailures": [{"itemIdentifier": "m8"}]}
    assert ledger.balances([forest.EXPIRED, forest.LOT_POOL]) == {forest.EXPIRED: granted, forest.LOT_POOL: 0}
    # the same messages delivered again (SQS is at-least-once) expire nothing twice
    assert invoke("ExpiryWorkerFunction", sqs_event([job_body(s) for s in range(8)])) == {
        "batchItemFailures": []
    }
    assert ledger.balance(forest.EXPIRED) == granted
    assert open_in_index() == 0
    assert reconcile().ok
    assert forest.pool_mismatches(ledger) == []


def test_a_sweep_interrupted_midway_finishes_on_the_next_run_without_double_expiry(
    ledger: Ledger, now: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        sweep, "settings", lambda: sweep.SweepSettings(page_size=7, batch_size=3, max_pages_per_job=2)
    )
    granted = seed_lots(60)
    clock.set_now(now + timedelta(hours=15))
    real_transfer = Ledger.transfer
    calls = {"n": 0}

    def crashing(self: Ledger, request: EntryRequest) -> Any:
        calls["n"] += 1
        if calls["n"] == 6:
            raise RuntimeError("worker killed")
        return real_transfer(self, request)

    monkeypatch.setattr(Ledger, "transfer", crashing)
    with pytest.raises(RuntimeError):
        sweep_all(ledger)
    partial = ledger.balance(forest.EXPIRED)
    assert 0 < partial < granted
    monkeypatch.setattr(Ledger, "transfer", real_transfer)
    sweep_all(ledger)
    assert sweep_all(ledger) == 0
    assert ledger.balances([forest.EXPIRED, forest.LOT_POOL]) == {forest.EXPIRED: granted, forest.LOT_POOL: 0}
    settled = sum(int(e.metadata["lots"]) for e in expiry_entries())
    assert settled == 60  # every lot in exactly one expiry entry
    assert reconcile().ok
    assert forest.pool_mismatches(ledger) == []


def test_replaying_the_same_batch_is_a_replay_of_its_entry(ledger: Ledger, now: datetime) -> None:
    seed_lots(5)
    clock.set_now(now + timedelta(hours=15))
    raw: list[Any] = []
    connection = ExpiringItem._get_connection()
    for shard in range(8):
        raw += connection.query(hash_key=bucket_of(shard), index_name="ExpiryIndex")["Items"]
    assert len(raw) == 5
    assert forest.expire_lots(ledger, raw) == 5
    assert forest.expire_lots(ledger, raw) == 0  # same stale items: the same entry, replayed
    assert forest.expire_lots(ledger, raw[:2]) == 0  # another batch of settled lots: guards refuse
    assert len(expiry_entries()) == 1
    assert ledger.balance(forest.EXPIRED) == 3 * 52 + 2 * 65
    assert reconcile().ok
    assert forest.pool_mismatches(ledger) == []


def test_pending_holds_time_out_through_the_same_sweep(ledger: Ledger, now: datetime) -> None:
    wallet, purse = user_account("ann", "wallet", "CNY"), user_account("ann", "purse", "CNY")
    ledger.transfer(
        EntryRequest(
            idempotency=IdempotencyKey("t", "fund"),
            kind="fund",
            legs=[Leg(external_account("t", "CNY"), wallet, 500)],
        )
    )
    idem = IdempotencyKey("t", "deposit")
    ledger.hold(
        EntryRequest(idempotency=idem, kind="rental.deposit", legs=[Leg(wallet, purse, 200)]),
        expiry=expiry_for(f"ENTRY#{idem.entry_id}", now + timedelta(hours=2)),
        on_timeout="void",
    )
    assert ledger.balances([wallet, hold_account("CNY")]) == {wallet: 300, hold_account("CNY"): 200}
    clock.set_now(now + timedelta(hours=1))
    assert sweep_all(ledger) == 0
    clock.set_now(now + timedelta(hours=3))
    assert sweep_all(ledger) == 1
    assert sweep_all(ledger) == 0
    assert ledger.balances([wallet, purse, hold_account("CNY")]) == {
        wallet: 500,
        purse: 0,
        hold_account("CNY"): 0,
    }
    assert ledger.entry(idem.entry_id).state == "voided"
    assert reconcile().ok
    assert forest.pool_mismatches(ledger) == []


def test_items_of_unknown_kinds_are_left_in_place(ledger: Ledger, now: datetime) -> None:
    item = ExpiringItem(
        pk="OTHER#x",
        sk="y",
        exp_bucket=bucket_of(0),
        expires_at="2026-03-10T01:00:00.000Z",
        exp_kind="mystery",
    )
    item.save()
    report = PRODUCT.sweeper(ledger).sweep_bucket(sweep.SweepJob(0))
    assert (report.examined, report.expired, report.unknown) == (1, 0, 1)
    assert "oxygen_lot" in PRODUCT.sweeper(ledger).kinds


def test_a_job_reads_bounded_pages_and_the_worker_enqueues_its_continuation(
    ledger: Ledger, now: datetime, expiry_queue: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        sweep, "settings", lambda: sweep.SweepSettings(page_size=2, batch_size=2, max_pages_per_job=1)
    )
    granted = seed_lots(30)
    clock.set_now(now + timedelta(hours=15))
    sqs = boto3.client("sqs", region_name="us-east-1")
    answer = invoke("ExpiryWorkerFunction", sqs_event([job_body(shard) for shard in range(8)]))
    assert answer == {"batchItemFailures": []}
    assert 0 < ledger.balance(forest.EXPIRED) < granted  # one page of two lots per job, no more
    jobs = 8
    while True:  # the continuations the worker enqueued, each bounded in turn
        got = sqs.receive_message(QueueUrl=expiry_queue, MaxNumberOfMessages=10).get("Messages", [])
        if not got:
            break
        for message in got:
            assert sweep.SweepJob.parse(message["Body"]).after is not None
            sqs.delete_message(QueueUrl=expiry_queue, ReceiptHandle=message["ReceiptHandle"])
        jobs += len(got)
        assert invoke("ExpiryWorkerFunction", sqs_event([m["Body"] for m in got])) == {
            "batchItemFailures": []
        }
    assert jobs >= 30 // 2
    assert ledger.balances([forest.EXPIRED, forest.LOT_POOL]) == {forest.EXPIRED: granted, forest.LOT_POOL: 0}
    assert sum(int(e.metadata["lots"]) for e in expiry_entries()) == 30  # each lot exactly once
    assert reconcile().ok

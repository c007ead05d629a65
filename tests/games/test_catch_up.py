"""Expiry catches up after an outage: the clock jumps 7 days with no sweep in between, then the schedules
run as in AWS (the fan-out enqueues, the expiry worker's handler sweeps, continuations included).

Overdue lots, egg batches and holds (a withdrawal, a held game reward, rentals) are each expired exactly
once by the next sweeps, and what the ledger's resolution hooks do on a timeout happens too: the day's
withdrawal limit is given back, the rentals' slots are freed, the held reward leaves the review queue.
With the former two-day look-back window, the lots and the egg batch of day one were never expired.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

import boto3
import pytest

from infra.handlers import invoke
from reward_ledger import clock, farm, forest, rentals
from reward_ledger.games import config
from reward_ledger.games.review import held_rewards
from reward_ledger.games.withdrawals import DailyWithdrawn
from reward_ledger.ledger import IdempotencyKey, Ledger, reconcile
from reward_ledger.ledger.models import EntryItem
from tests.conftest import Api, fund
from tests.forest.conftest import pay
from tests.games.conftest import T0, Player, drain, key

OUTAGE = timedelta(days=7)
CABINET = "cab-hz-001"


@pytest.fixture
def expiry_queue(ledger_table: str, monkeypatch: pytest.MonkeyPatch) -> str:
    url = str(boto3.client("sqs", region_name="us-east-1").create_queue(QueueName="ExpiryQueue")["QueueUrl"])
    monkeypatch.setenv("EXPIRY_QUEUE_URL", url)
    return url


def run_schedules(queue_url: str) -> int:
    """One fan-out run, then the worker on every message until the queue is empty; messages handled."""
    invoke("ExpiryFanoutFunction", {"source": "aws.events", "detail-type": "Scheduled Event"})
    expired = 0
    while records := drain(queue_url):
        for record in records:  # one message per invocation, as a batch of one
            answer = invoke("ExpiryWorkerFunction", {"Records": [record]})
            assert answer == {"batchItemFailures": []}
        expired += len(records)
    return expired


def kinds() -> Counter[str]:
    return Counter(str(e.kind) for e in EntryItem.scan(EntryItem.sk == "ENTRY"))


def borrow(user: str, n: int) -> tuple[int, dict[str, Any]]:
    status, body, _ = Api("RentalsFunction").call(
        "POST",
        "/v1/rentals",
        body={"cabinet_id": CABINET, "item": "umbrella"},
        headers={"Idempotency-Key": f"borrow-{n}"},
        user=user,
    )
    return status, body


@pytest.mark.slow
def test_after_a_7_day_outage_the_next_sweeps_expire_everything_overdue_exactly_once(
    games_api: Api, withdrawals_api: Api, games_ledger: Ledger, expiry_queue: str
) -> None:
    ledger = games_ledger
    invoke("CabinetStockFunction", {})
    # oxygen lots (due at the users' next local midnight)
    lots = [pay(f"o{i}", "bike", f"lot-{i}")["lot_id"] for i in range(3)]
    # rentals: the most one user may have out at once (due in 48 h)
    fund("rita", 100_000)
    limit = rentals.settings().max_out_per_user
    rented = [borrow("rita", n) for n in range(limit)]
    assert [status for status, _ in rented] == [201] * limit
    assert borrow("rita", limit)[0] == 429  # no slot left
    # a held game reward (due for review in 168 h) and a pending withdrawal (voided after 24 h)
    player = Player(games_api)
    held = player.play(score=1001, duration_ms=60_000)[1]
    assert held["status"] == "held"
    for _ in range(2):
        assert player.play(score=800, duration_ms=60_000)[1]["status"] == "credited"
    amount = config().withdrawals.threshold
    status, pending, _ = withdrawals_api.call(
        "POST",
        "/v1/withdrawals",
        body={"amount": amount},
        headers={"Idempotency-Key": key("wd")},
        user="alice",
    )
    assert status == 202, pending
    withdrawal = ledger.entry(pending["withdrawal_id"])
    assert withdrawal is not None
    day = str(withdrawal.metadata["day"])
    assert int(DailyWithdrawn.get("GWDAY#alice", day).amount) == amount
    # an egg batch: four meals lay one egg (it expires 7 days after it is laid)
    for meal in range(4):
        pay("fay", "offline", f"feed-{meal}")  # one meal of feed (and a small lot)
        farm.feed(ledger, "fay", "fay", IdempotencyKey("t", f"meal-{meal}"))
        clock.set_now(clock.now() + timedelta(minutes=farm.settings().chicken.meal_minutes))
    assert farm.farm_view(ledger, "fay").eggs == 1
    assert held_rewards(T0.date()).held != []

    clock.set_now(clock.now() + OUTAGE + timedelta(hours=1))  # no sweep ran all that time
    before = kinds()
    run_schedules(expiry_queue)
    after = kinds()
    assert run_schedules(expiry_queue) >= 8  # a later run sweeps every shard again ...
    assert kinds() == after  # ... and write nothing

    # each overdue item expired exactly once
    for user, lot_id in zip(("o0", "o1", "o2"), lots, strict=True):
        assert forest.Lot.get(forest.partition(user), f"LOT#{lot_id}").state == "expired"
    assert forest.pool_mismatches(ledger) == [] and ledger.balance(forest.LOT_POOL) == 0
    swept = after - before
    assert (
        sum(
            int(e.metadata["lots"])
            for e in EntryItem.scan(EntryItem.sk == "ENTRY")
            if e.kind == "forest.expiry"
        )
        == 3 + 4
    )
    assert swept["farm.eggs.expiry"] == 1 and ledger.balance(farm.EXPIRED) == 1
    assert swept["rental.post"] == limit
    assert swept["games.withdrawal.void"] == 1
    assert swept["games.result.void"] == 1
    # what the resolution hooks do on a timeout, through the expiry worker's own ledger
    assert int(DailyWithdrawn.get("GWDAY#alice", day).amount) == 0  # the day's limit given back
    assert held_rewards(T0.date()).held == []  # the held reward left the review queue
    assert borrow("rita", limit + 1)[0] == 201  # the rentals' slots are free again
    assert reconcile().ok

"""Two-phase entries that time out, end to end through the template's own workers.

Each function runs alone in its process, as in Lambda, so the expiry worker resolves timeouts with only
what its own process wires: what a resolution must also do (give a withdrawal back to the day's limit,
free a rental slot, take a held reward out of the review queue) must happen there too. The clock moves
past each hold's timeout, the expiry schedule runs (fan-out -> SQS -> expiry worker) and the outcome is
read over HTTP.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from infra import token as tokens
from tests.local.conftest import Client, eventually

pytestmark = pytest.mark.slow  # about a minute: clock jumps, sweeps through SQS, cold starts

DAILY_WITHDRAWAL_LIMIT = 5000  # data/games.toml [withdrawals] daily_limit
MAX_OUT_PER_USER = 3  # data/rentals.toml max_out_per_user
RESULTS_PER_WINDOW = 6  # data/games.toml [antifraud]: one more result inside the window is held
ADMIN = {"scope": "openid ledger/admin"}


def new_user(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def at(client: Client, instant: str) -> None:
    moved = client.call("POST", "/_local/clock", {"now": instant})
    assert moved.status == 200, moved.body


@pytest.fixture(autouse=True)
def real_clock_afterwards(client: Client) -> Iterator[None]:
    yield
    client.call("POST", "/_local/clock", {"now": None})


def sweep(client: Client) -> None:
    """Run the expiry schedule once and wait until its worker has drained every job."""

    def state() -> dict[str, Any]:
        body = client.call("GET", "/_local/queues").body
        [worker] = [s for s in body["sources"] if s["function"] == "ExpiryWorkerFunction"]
        [queue] = [q for q in body["queues"] if q["queue"] == worker["queue"]]
        return {"worker": worker, "queue": queue}

    before = state()["worker"]["succeeded"]
    run = client.call("POST", "/_local/schedules/ExpiryFanoutFunction")
    assert run.status == 200, run.body
    jobs = run.body["result"]["jobs"]
    eventually(
        state,
        lambda s: (
            s["worker"]["succeeded"] >= before + jobs and s["queue"]["visible"] + s["queue"]["in_flight"] == 0
        ),
        timeout=90,
    )


def pause(client: Client, function: str, enabled: bool) -> None:
    """Pause (or resume) the SQS event source mapping feeding ``function``."""
    [source] = [s for s in client.call("GET", "/_local/queues").body["sources"] if s["function"] == function]
    reply = client.call("POST", f"/_local/queues/{source['mapping']}", {"enabled": enabled})
    assert reply.status == 200, reply.body


def open_session(client: Client, user: str) -> str:
    opened = client.call(
        "POST", "/v1/games/puzzle/sessions", {}, user=user, headers={"Idempotency-Key": uuid.uuid4().hex}
    )
    assert opened.status == 201, opened.body
    return str(opened.body["session_id"])


def submit(client: Client, user: str, session_id: str, score: int = 900, duration_ms: int = 50_000) -> Any:
    message = f"{session_id}:{score}:{duration_ms}".encode()
    signature = hmac.new(b"local-game-secret", message, hashlib.sha256).hexdigest()
    result = client.call(
        "POST",
        f"/v1/games/sessions/{session_id}/result",
        {"score": score, "duration_ms": duration_ms, "signature": signature},
        user=user,
        headers={"Idempotency-Key": uuid.uuid4().hex, "X-Device-Id": f"dev-{user}"},
    )
    assert result.status == 201, result.body
    return result.body


def withdraw(client: Client, user: str, amount: int) -> Any:
    return client.call(
        "POST",
        "/v1/withdrawals",
        {"amount": amount},
        user=user,
        headers={"Idempotency-Key": uuid.uuid4().hex},
    )


def test_a_withdrawal_voided_by_its_timeout_gives_its_amount_back_to_the_days_limit(client: Client) -> None:
    user = new_user("wd-timeout")
    at(client, "2030-04-01T02:00:00Z")  # 10:00 in Shanghai: the same local day until 16:00 UTC
    session = open_session(client, user)
    at(client, "2030-04-01T02:01:00Z")  # a minute of play
    assert submit(client, user, session)["status"] == "credited"
    cash = client.balances(user)["cash"]
    assert cash >= 10
    pause(client, "WithdrawalWorkerFunction", enabled=False)  # the worker never sees it: it times out
    try:
        asked = withdraw(client, user, cash)
        assert asked.status == 202, asked.body
        withdrawal = f"/v1/withdrawals/{asked.body['withdrawal_id']}"
        over = withdraw(client, user, DAILY_WITHDRAWAL_LIMIT)  # while pending, it counts against the day
        assert (over.status, over.body["type"]) == (422, "daily-cap-reached"), over.body
        at(client, "2030-04-02T03:00:00Z")  # past pending_timeout_hours (24)
        sweep(client)
        assert client.call("GET", withdrawal, user=user).body["status"] == "rejected"
        assert client.balances(user)["cash"] == cash
        at(client, "2030-04-01T03:00:00Z")  # the day of the request again: its limit is whole
        again = withdraw(client, user, DAILY_WITHDRAWAL_LIMIT)
        # the limit admits the whole day's amount; only the cash is short
        assert (again.status, again.body["type"]) == (422, "insufficient-funds"), again.body
    finally:
        pause(client, "WithdrawalWorkerFunction", enabled=True)


def test_rentals_that_time_out_free_the_users_slots(client: Client) -> None:
    user = new_user("renter")
    at(client, "2030-05-01T02:00:00Z")
    funded = client.event(
        "payments", "wallet.funded", {"funding_id": "f-" + user, "user_id": user, "amount": 20_000}
    )
    assert funded.status == 200, funded.body
    assert client.call("POST", "/_local/schedules/CabinetStockFunction").status == 200

    def borrow(n: int) -> Any:
        body = {"cabinet_id": "cab-hz-001", "item": "umbrella"}
        return client.call("POST", "/v1/rentals", body, user=user, headers={"Idempotency-Key": f"b-{n}"})

    rentals = []
    for n in range(MAX_OUT_PER_USER):
        borrowed = borrow(n)
        assert borrowed.status == 201, borrowed.body
        rentals.append(borrowed.body["rental_id"])
    refused = borrow(MAX_OUT_PER_USER)
    assert (refused.status, refused.body["type"]) == (429, "rate-limited"), refused.body
    at(client, "2030-05-03T03:00:00Z")  # past the umbrellas' loan_hours (48)
    sweep(client)
    for rental in rentals:
        assert client.call("GET", f"/v1/rentals/{rental}", user=user).body["status"] == "forfeited"
    borrowed = borrow(MAX_OUT_PER_USER + 1)
    assert borrowed.status == 201, borrowed.body


def test_a_held_reward_that_times_out_leaves_the_review_queue(client: Client) -> None:
    user = new_user("held")
    operator = tokens.issue("op-timeouts", extra=ADMIN)
    at(client, "2030-06-01T02:00:00Z")
    sessions = [open_session(client, user) for _ in range(RESULTS_PER_WINDOW + 1)]
    at(client, "2030-06-01T02:01:00Z")  # a minute of play, 7 results in one window
    results = [submit(client, user, session) for session in sessions]
    held = [r for r in results if r["status"] == "held"]
    assert len(held) == 1, results

    def queued() -> list[str]:
        reply = client.call("GET", "/v1/admin/held-rewards?day=2030-06-01", token=operator)
        assert reply.status == 200, reply.body
        return [h["entry_id"] for h in reply.body["held"] if h["user_id"] == user]

    assert len(queued()) == 1
    at(client, "2030-06-08T03:00:00Z")  # past held_review_hours (168)
    sweep(client)
    assert queued() == []


def books(user: str) -> dict[str, int]:
    """The user's and the sinks' balances, read from the embedded AWS (the stack binds this process)."""
    from reward_ledger.ledger import Ledger, expired_account, user_account

    accounts = {
        "wallet": user_account(user, "wallet", "CNY"),
        "eggs": user_account(user, "eggs", "EGG"),
        "expired_o2": expired_account("O2"),
        "expired_eggs": expired_account("EGG"),
    }
    ledger = Ledger()
    return {name: ledger.balance(account) for name, account in accounts.items()}


def test_after_a_week_without_sweeps_every_overdue_hold_lot_and_egg_batch_expires_once(
    client: Client,
) -> None:
    user = new_user("outage")
    at(client, "2030-07-01T00:00:00Z")  # 08:00 in Shanghai
    funded = client.event(
        "payments", "wallet.funded", {"funding_id": "f-" + user, "user_id": user, "amount": 10_000}
    )
    assert funded.status == 200, funded.body
    for n in range(4):  # each: a 5 g oxygen lot (expires at local midnight) and 180 g of feed (one meal)
        payment = {
            "payment_id": f"p{n}-{user}",
            "user_id": user,
            "amount": 2_500,
            "category": "offline",
            "occurred_at": "2030-07-01T00:00:00Z",
        }
        assert client.event("payments", "payment.completed", payment).status == 200
    assert client.call("POST", "/_local/schedules/CabinetStockFunction").status == 200
    rental = client.call(
        "POST",
        "/v1/rentals",
        {"cabinet_id": "cab-sh-002", "item": "umbrella"},
        user=user,
        headers={"Idempotency-Key": "r"},
    )
    assert rental.status == 201, rental.body  # due in 48 h: a hold the sweep must post
    for hour in ("00", "04", "08", "12"):  # four meals of 4 h: one egg, laid when the last one is counted
        at(client, f"2030-07-01T{hour}:00:01Z")
        fed = client.call("POST", "/v1/farm/feed", {}, user=user, headers={"Idempotency-Key": f"feed-{hour}"})
        assert fed.status == 201, fed.body
    at(client, "2030-07-01T15:00:00Z")  # 23:00 in Shanghai: the lots are still open
    assert len(client.call("GET", "/v1/forest", user=user).body["lots"]) == 4
    at(client, "2030-07-01T16:30:00Z")  # the last meal is over: reading the farm counts it
    assert client.call("GET", "/v1/farm", user=user).body["eggs"] == 1  # a batch expiring 7 days on
    before = books(user)
    at(client, "2030-07-11T00:00:00Z")  # ten days later, not one sweep in between
    for _ in range(3):  # the next sweeps (a long outage may be split over several runs)
        sweep(client)
    after = books(user)
    assert (
        client.call("GET", f"/v1/rentals/{rental.body['rental_id']}", user=user).body["status"] == "forfeited"
    )
    assert client.call("GET", "/v1/forest", user=user).body["lots"] == []
    assert after["eggs"] == 0
    assert after["expired_o2"] - before["expired_o2"] == 4 * 5
    assert after["expired_eggs"] - before["expired_eggs"] == 1
    assert after["wallet"] == 10_000 - 3_000  # the deposit is forfeited, once
    sweep(client)  # once more: nothing expires twice
    assert books(user) == after
    reconciled = client.call("POST", "/_local/schedules/ReconcileFunction")
    assert reconciled.status == 200, reconciled.body
    assert reconciled.body["result"]["ok"] is True

"""User B, with a valid token of their own, goes after user A's things: all refused, nothing moved.

Through the local gateway (real tokens, the user is the token's ``sub``): A's game session, withdrawal,
oxygen lot (steal without being friends), chicken (feed as a non-friend), rental (return it, read it),
and the operator routes without the admin scope. After every attempt both users' balances, A's lots and
A's chicken are exactly what they were.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from reward_ledger.games import sign
from tests.local.conftest import Client, Reply

T0 = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)  # 10:00 in Asia/Shanghai: lots stay open until 16:00 UTC
GAME_SECRET = b"local-game-secret"


def iso(instant: datetime) -> str:
    return instant.strftime("%Y-%m-%dT%H:%M:%SZ")


def ok(reply: Reply, *statuses: int) -> Any:
    assert reply.status in statuses, (reply.status, reply.body)
    return reply.body


class Users:
    def __init__(self, client: Client) -> None:
        self.client = client
        tag = uuid.uuid4().hex[:8]
        self.a, self.b = f"victim-{tag}", f"intruder-{tag}"

    def post(self, user: str, path: str, body: Any = None, key: str | None = None) -> Reply:
        # each user on their own device (a game result without a device id is held)
        headers = {"Idempotency-Key": key or uuid.uuid4().hex, "X-Device-Id": f"dev-{user}"}
        return self.client.call("POST", path, {} if body is None else body, user=user, headers=headers)

    def clock(self, instant: datetime) -> None:
        ok(self.client.call("POST", "/_local/clock", {"now": iso(instant)}), 200)

    def snapshot(self) -> dict[str, Any]:
        """Everything B could have moved: both users' balances, A's lots and A's chicken."""
        balances = {
            user: ok(self.client.call("GET", "/v1/me/balances", user=user), 200)["balances"]
            for user in (self.a, self.b)
        }
        forest = ok(self.client.call("GET", "/v1/forest", user=self.a), 200)
        farm = ok(self.client.call("GET", "/v1/farm", user=self.a), 200)
        return {"balances": balances, "lots": forest["lots"], "energy": forest["energy"], "farm": farm}


@pytest.fixture(scope="module")
def world(client: Client) -> Iterator[dict[str, Any]]:
    """A has cash, a pending withdrawal, an open session, a ripe lot, a chicken and a rental; B has feed."""
    users = Users(client)
    users.clock(T0)
    ok(client.call("POST", "/_local/schedules/CabinetStockFunction"), 200)
    ok(
        client.event(
            "payments", "wallet.funded", {"funding_id": f"f-{users.a}", "user_id": users.a, "amount": 10_000}
        ),
        200,
    )
    for user in (users.a, users.b):
        detail = {
            "payment_id": f"p-{user}",
            "user_id": user,
            "amount": 1000,
            "category": "offline",  # oxygen and feed
            "occurred_at": iso(T0),
        }
        ok(client.event("payments", "payment.completed", detail), 200)
    # A earns game cash and asks to withdraw it
    session = ok(users.post(users.a, "/v1/games/puzzle/sessions"), 201)["session_id"]
    users.clock(T0 + timedelta(seconds=60))
    result = {"score": 800, "duration_ms": 60_000, "signature": sign(GAME_SECRET, session, 800, 60_000)}
    assert ok(users.post(users.a, f"/v1/games/sessions/{session}/result", result), 201)["granted"] >= 10
    withdrawal = ok(users.post(users.a, "/v1/withdrawals", {"amount": 10}), 202)["withdrawal_id"]
    # a session A has not played yet, a rental, and a ripe lot
    open_session = ok(users.post(users.a, "/v1/games/puzzle/sessions"), 201)["session_id"]
    rental = ok(users.post(users.a, "/v1/rentals", {"cabinet_id": "cab-hz-001", "item": "umbrella"}), 201)
    users.clock(T0 + timedelta(hours=2))
    lots = ok(client.call("GET", "/v1/forest", user=users.a), 200)["lots"]
    assert lots, "A has a lot"
    yield {
        "users": users,
        "session": open_session,
        "withdrawal": withdrawal,
        "rental": rental["rental_id"],
        "lot": lots[0]["lot_id"],
    }
    ok(client.call("POST", "/_local/clock", {"now": None}), 200)


def attempts(w: dict[str, Any]) -> dict[str, tuple[str, str, Any]]:
    users: Users = w["users"]
    a, session = users.a, w["session"]
    return {
        "submit A's game session": (
            "POST",
            f"/v1/games/sessions/{session}/result",
            {"score": 800, "duration_ms": 60_000, "signature": sign(GAME_SECRET, session, 800, 60_000)},
        ),
        "read A's withdrawal": ("GET", f"/v1/withdrawals/{w['withdrawal']}", None),
        "see A's lots without friendship": ("GET", f"/v1/forest/friends/{a}", None),
        "steal A's lot without friendship": ("POST", f"/v1/forest/friends/{a}/steal", {"lot_id": w["lot"]}),
        "water A as a non-friend": ("POST", f"/v1/forest/friends/{a}/water", {"amount": 1}),
        "feed A's chicken as a non-friend": ("POST", f"/v1/farm/friends/{a}/feed", {}),
        "return A's rental": ("POST", f"/v1/rentals/{w['rental']}/return", {}),
        "read A's rental": ("GET", f"/v1/rentals/{w['rental']}", None),
        "approve a held reward without the admin scope": (
            "POST",
            f"/v1/admin/held-rewards/{w['withdrawal']}/approve",
            {"note": "mine"},
        ),
        "list the held rewards without the admin scope": ("GET", "/v1/admin/held-rewards", None),
        "reject A's withdrawal without the admin scope": (
            "POST",
            f"/v1/admin/held-rewards/{w['withdrawal']}/reject",
            {"note": "mine"},
        ),
    }


ATTEMPTS = [
    "submit A's game session",
    "read A's withdrawal",
    "see A's lots without friendship",
    "steal A's lot without friendship",
    "water A as a non-friend",
    "feed A's chicken as a non-friend",
    "return A's rental",
    "read A's rental",
    "approve a held reward without the admin scope",
    "reject A's withdrawal without the admin scope",
    "list the held rewards without the admin scope",
]


@pytest.mark.parametrize("attempt", ATTEMPTS)
def test_user_b_cannot_touch_user_a_s_things(client: Client, world: dict[str, Any], attempt: str) -> None:
    users: Users = world["users"]
    method, path, body = attempts(world)[attempt]
    before = users.snapshot()
    for retry in range(2):  # the same attempt twice: a retry must not get further than the first try
        reply = (
            users.post(users.b, path, body, key=f"{attempt}-{retry}".replace(" ", "-").replace("'", ""))
            if method == "POST"
            else client.call(method, path, user=users.b)
        )
        assert reply.status in (403, 404), (attempt, reply.status, reply.body)
        assert reply.headers["content-type"] == "application/problem+json"
        assert reply.body["type"] in ("forbidden", "not-found")
    assert users.snapshot() == before


def test_the_matrix_is_complete(world: dict[str, Any]) -> None:
    assert sorted(attempts(world)) == sorted(ATTEMPTS)

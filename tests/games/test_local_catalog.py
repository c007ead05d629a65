"""Games as data end to end through the local stack (HTTP, local JWTs, each function in its own worker,
SSM SecureStrings in the embedded AWS): an operator registers a game and a user plays it, no redeploy."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from infra import token as tokens
from reward_ledger.games import sign
from tests.games.test_catalog_admin import SPEC
from tests.local.conftest import Client, Reply, client, stack  # noqa: F401 (fixtures)

pytestmark = pytest.mark.slow
OPS = tokens.issue("ops", extra={"scope": "ledger/admin"})
STAFF = tokens.issue("staff-m1", extra={"scope": "ledger/merchant", "merchant_id": "m1"})
T0 = datetime(2031, 5, 4, 3, 0, tzinfo=UTC)


def at(client: Client, when: datetime | None) -> None:  # noqa: F811
    now = None if when is None else when.isoformat().replace("+00:00", "Z")
    assert client.call("POST", "/_local/clock", {"now": now}).status == 200


def call(client: Client, method: str, path: str, body: Any, token: str) -> Reply:  # noqa: F811
    headers = {"Idempotency-Key": uuid.uuid4().hex} if method == "POST" else None
    return client.call(method, path, body, token=token, headers=headers)


def test_an_operator_registers_a_game_and_a_user_plays_it_without_a_redeploy(client: Client) -> None:  # noqa: F811
    game_id = "g-" + uuid.uuid4().hex[:8]
    user = tokens.issue("player-" + game_id)
    at(client, T0)
    try:
        registered = call(client, "POST", "/v1/admin/games", {"game_id": game_id, **SPEC}, OPS)
        assert registered.status == 201, registered.body
        secret = registered.body["secret"]
        listed = call(client, "GET", "/v1/games", None, user)
        assert game_id in {g["game_id"] for g in listed.body["games"]}
        opened = call(client, "POST", f"/v1/games/{game_id}/sessions", {}, user)
        assert opened.status == 201, opened.body
        sid = opened.body["session_id"]
        at(client, T0 + timedelta(seconds=25))
        signed = {"score": 60, "duration_ms": 20_000, "signature": sign(secret.encode(), sid, 60, 20_000)}
        paid = client.call(
            "POST",
            f"/v1/games/sessions/{sid}/result",
            signed,
            token=user,
            headers={"Idempotency-Key": "r1", "X-Device-Id": "phone-" + game_id},
        )
        assert (paid.status, paid.body["status"], paid.body["granted"]) == (201, "credited", 7), paid.body
        view = call(client, "GET", f"/v1/admin/games/{game_id}", None, OPS)
        assert view.status == 200 and secret not in str(view.body)
    finally:
        at(client, None)


def test_a_suspended_game_refuses_new_sessions(client: Client) -> None:  # noqa: F811
    game_id = "g-" + uuid.uuid4().hex[:8]
    user = tokens.issue("player-" + game_id)
    assert call(client, "POST", "/v1/admin/games", {"game_id": game_id, **SPEC}, OPS).status == 201
    suspended = call(client, "PUT", f"/v1/admin/games/{game_id}/status", {"status": "suspended"}, OPS)
    assert suspended.status == 200 and suspended.body["status"] == "suspended"
    refused = call(client, "POST", f"/v1/games/{game_id}/sessions", {}, user)
    assert (refused.status, refused.body["type"]) == (404, "not-found")
    assert game_id not in {g["game_id"] for g in call(client, "GET", "/v1/games", None, user).body["games"]}


@pytest.mark.parametrize("who", ["plain-user", "merchant-staff"])
def test_plain_users_and_merchant_staff_are_refused_on_every_games_admin_route(
    client: Client,  # noqa: F811
    who: str,
) -> None:
    token = tokens.issue("alice") if who == "plain-user" else STAFF
    routes = [
        ("POST", "/v1/admin/games", {"game_id": "never", **SPEC}),
        ("PUT", "/v1/admin/games/puzzle", SPEC),
        ("PUT", "/v1/admin/games/puzzle/status", {"status": "suspended"}),
        ("GET", "/v1/admin/games/puzzle", None),
    ]
    for method, path, body in routes:
        reply = call(client, method, path, body, token)
        assert reply.status == 403, (method, path, reply.status, reply.body)
    assert call(client, "GET", "/v1/admin/games/never", None, OPS).status == 404
    assert call(client, "GET", "/v1/admin/games/puzzle", None, OPS).body["status"] == "active"

"""Hostile input on the routes added since the black-box run (merchants, campaigns, coupons, audit,
reminders, friends listing), and IdP ids through every edge that names a user: paths, events, cursors.

Bodies (size, depth, long integers, media types) on every POST and PUT, and arbitrary ``sub`` strings
on every route, are in ``test_hostile.py``, over the routes of openapi.json.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from urllib.parse import quote

import pytest
from pydantic import ValidationError

from reward_ledger.campaigns.triggers import EVENT_MODELS
from reward_ledger.outbound.schema import reminder_due
from reward_ledger.users import encode_user_id
from tests.conftest import Api, fund
from tests.security.hostile import assert_problem, call_route, spec_routes, table_snapshot

ROUTES = spec_routes()
WITH_PARAMETERS = [route for route in ROUTES if "{" in route[1]]
CONTROL = ["a\nb", "a\x00b", "a\rb", "\x1b[31m", "x\u0085"]


@pytest.mark.parametrize(
    ("method", "path", "function"), WITH_PARAMETERS, ids=[f"{m} {p}" for m, p, _ in WITH_PARAMETERS]
)
def test_control_characters_in_any_path_parameter_are_refused_and_move_nothing(
    ledger_table: str, method: str, path: str, function: str
) -> None:
    fund("alice", 10_000, "top-up-alice")
    before = table_snapshot(ledger_table)
    names = [part[1:-1] for part in path.split("/") if part.startswith("{")]
    for index, value in enumerate(CONTROL):
        params = dict.fromkeys(names, value)
        if "account" in params:
            params["account"] = f"user:{value}/wallet/CNY"
        status, body, headers = call_route(
            method, path, function, sub="alice", params=params, key=f"control-{index}"
        )
        assert_problem(status, body, headers, 400, 403, 404)
    assert table_snapshot(ledger_table) == before


def _b64(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


ACCOUNT = "user:alice/wallet/CNY"
FORGED_AUDIT_CURSORS = [
    _b64({"hist_pk": "x"}),
    _b64({"account": ACCOUNT}),
    _b64({"account": ACCOUNT, "before": "", "shard": 0}),
    _b64({"account": ACCOUNT, "before": "x", "shard": 99}),  # a shard the account does not have
    _b64({"account": ACCOUNT, "before": "x", "shard": -1}),
    _b64({"account": ACCOUNT, "before": "x", "shard": 0, "extra": 1}),
    _b64({"account": "user:bob/wallet/CNY", "before": "x", "shard": 0}),  # another account's
    _b64({"account": ACCOUNT, "before": ["x"], "shard": 0}),
    _b64(None),
    "!!!!",
    "[" * 40,
    _b64("[" * 500 + "]" * 500),
]


@pytest.mark.parametrize("cursor", FORGED_AUDIT_CURSORS)
def test_forged_audit_history_cursors_are_a_400(ledger_table: str, cursor: str) -> None:
    fund("alice", 10, "top-up-alice")
    status, body, headers = call_route(
        "GET",
        "/v1/admin/accounts/{account}/history",
        "AuditFunction",
        sub="ops",
        params={"account": ACCOUNT},
        query={"cursor": cursor},
    )
    assert_problem(status, body, headers, 400)
    assert body["type"] == "validation-error"


def test_a_real_audit_cursor_still_pages(ledger_table: str) -> None:
    for n in range(3):
        fund("alice", 10, f"top-up-{n}")
    pages, cursor = [], None
    while True:
        query = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        status, body, _ = call_route(
            "GET",
            "/v1/admin/accounts/{account}/history",
            "AuditFunction",
            sub="ops",
            params={"account": ACCOUNT},
            query=query,
        )
        assert status == 200, body
        pages.append(body["entries"])
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert [len(page) for page in pages] == [2, 1]


def _friends(user: str, method: str, other: str | None = None) -> tuple[int, dict, dict]:
    route = "/v1/friends" if other is None else "/v1/friends/{friend_id}"
    path = "/v1/friends" if other is None else f"/v1/friends/{quote(other, safe='')}"
    params = None if other is None else {"friend_id": other}
    return Api("FriendsFunction").call(method, path, route=route, path_parameters=params, user=user)


def test_idp_users_befriend_list_and_unfriend_each_other_by_their_own_ids(ledger_table: str) -> None:
    auth0, google = "auth0|5f7c8ec7c33c6c004bbafe82", "google-oauth2|104857600000000000001"
    assert _friends(auth0, "PUT", google)[1] == {"friend_id": google, "status": "requested"}
    assert _friends(google, "PUT", auth0)[1]["status"] == "friends"
    status, body, _ = _friends(auth0, "GET")
    assert status == 200 and body["friends"] == [{"friend_id": google, "status": "friends"}]
    listed = body["friends"][0]["friend_id"]  # the id as listed works in a path
    assert _friends(auth0, "DELETE", listed)[:2] == (200, {"friend_id": google, "status": "removed"})
    assert _friends(google, "GET")[1]["friends"] == []
    # the encoded form is another user's id, not a second name of this one
    assert _friends(auth0, "DELETE", encode_user_id(google))[0] == 404


def test_an_audit_account_path_names_an_idp_user_by_their_id(ledger_table: str) -> None:
    sub = "auth0|5f7c8ec7c33c6c004bbafe82"
    fund(sub, 250, "top-up-auth0")
    status, body, _ = call_route(
        "GET",
        "/v1/admin/accounts/{account}/balance",
        "AuditFunction",
        sub="ops",
        params={"account": f"user:{sub}/wallet/CNY"},
    )
    assert status == 200, body
    assert (body["account"], body["balance"]) == (f"user:{encode_user_id(sub)}/wallet/CNY", 250)


def test_a_reminder_event_names_the_user_as_their_token_does() -> None:
    sub = "google-oauth2|104857600000000000001"
    now = datetime(2030, 1, 1, tzinfo=UTC).isoformat()
    image = {
        "reminder_id": "r1",
        "user_id": encode_user_id(sub),
        "reminder": "coupon-expiring",
        "subject": "c1",
        "due_at": now,
        "sent_at": now,
    }
    assert reminder_due(image).detail.model_dump()["user_id"] == sub


def test_a_payment_event_names_an_idp_user_the_way_the_edge_encodes_them() -> None:
    detail = {
        "user_id": "émile",
        "payment_id": "p1",
        "merchant_id": "m1",
        "amount": 100,
        "category": "offline",
    }
    parsed = EVENT_MODELS["payment.completed"].model_validate(detail)
    assert parsed.user_id == encode_user_id("émile") == ":C3:A9mile"
    with pytest.raises(ValidationError, match="control character"):  # refused as an event, not a 500
        EVENT_MODELS["payment.completed"].model_validate({**detail, "user_id": "alice\n"})


@pytest.mark.parametrize("after", ["x", "2030-01-01T00:00:00Z#", "\n", "e" * 121, "%00", "a#b#c"])
def test_a_forged_held_rewards_position_is_a_400(ledger_table: str, after: str) -> None:
    status, body, headers = call_route(
        "GET", "/v1/admin/held-rewards", "GamesAdminFunction", sub="ops", query={"after": after}
    )
    assert_problem(status, body, headers, 400)


def test_the_hot_routes_are_throttled_at_the_gateway() -> None:
    """Route throttling (all callers together) in the template, on routes that exist under those keys."""
    from infra.template import sam_template
    from tests.security.hostile import function_routes

    api = next(r for r in sam_template()["Resources"].values() if r["Type"] == "AWS::Serverless::HttpApi")
    settings = api["Properties"]["RouteSettings"]
    served = {f"{method} {path}" for method, path, _ in function_routes()}
    for key in ("POST /v1/games/{game_id}/sessions", "PUT /v1/friends/{friend_id}"):
        assert key in settings and key in served, key
        # API Gateway's own account default is a burst below the rate (5,000 and 10,000): a burst is the
        # bucket's size, the rate its refill, so neither bounds the other; both must be set and positive.
        assert settings[key]["ThrottlingRateLimit"] > 0 and settings[key]["ThrottlingBurstLimit"] > 0

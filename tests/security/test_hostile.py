"""Hostile and careless clients: every input of the black-box run answers a 4xx problem and moves nothing.

In process (the functions' handlers with API Gateway v2 events, moto as DynamoDB): IdP user ids on every
route, ``alice\\n``, bodies too large, too deep, with 4,301-digit integers or the wrong media type, a
day past the calendar, forged cursors, and a hypothesis property over arbitrary ``sub`` strings.
"""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reward_ledger.users import encode_user_id, public_user_id
from tests.conftest import Api, fund
from tests.security.hostile import (
    IDP_SUBS,
    assert_problem,
    call_route,
    spec_routes,
    table_snapshot,
)

ROUTES = spec_routes()  # every operation of the committed openapi.json, with the function serving it
POSTS = [route for route in ROUTES if route[0] in ("POST", "PUT")]  # the routes that read a body
ROUTE_IDS = [f"{m} {p}" for m, p, _ in ROUTES]


def balances(user: str) -> dict[str, int]:
    status, body, _ = Api("AccountsFunction").call("GET", "/v1/me/balances", user=user)
    assert status == 200, body
    return {f"{b['book']}/{b['asset']}": b["balance"] for b in body["balances"]}


@pytest.mark.slow
@pytest.mark.parametrize("sub", IDP_SUBS)
def test_idp_user_ids_answer_below_500_on_every_route(ledger_table: str, sub: str) -> None:
    for method, path, function in ROUTES:
        status, body, _ = call_route(method, path, function, sub=sub)
        assert status < 500, (method, path, status, body)


@pytest.mark.parametrize("sub", IDP_SUBS)
def test_an_idp_user_id_is_funded_and_saves_like_alice(ledger_table: str, sub: str) -> None:
    fund(sub, 5000, f"top-up-{encode_user_id(sub)}")
    status, body, _ = Api("SavingsFunction").call(
        "POST",
        "/v1/stories/first-date/choices",
        route="/v1/stories/{story_id}/choices",
        path_parameters={"story_id": "first-date"},
        body={"chapter": 1, "choice_id": "flowers"},
        headers={"Idempotency-Key": "choice-1"},
        user=sub,
    )
    assert status == 201, body
    assert balances(sub)["wallet/CNY"] == 5000 - body["amount"]
    assert balances(sub)["purse/CNY"] == body["amount"]
    assert balances("alice")["wallet/CNY"] == 0  # nobody else's account


def test_a_trailing_newline_is_not_the_same_user(ledger_table: str) -> None:
    fund("alice", 700, "top-up-alice")
    for sub in ("alice\n", "alice\r", "al\x00ice", "\x1b[31m", "", "x" * 256):
        status, body, headers = Api("AccountsFunction").call("GET", "/v1/me/balances", claims={"sub": sub})
        assert_problem(status, body, headers, 401)
    assert balances("alice")["wallet/CNY"] == 700


@given(st.text(max_size=40))
def test_user_ids_encode_reversibly_and_never_collide(sub: str) -> None:
    try:
        encoded = encode_user_id(sub)
    except ValueError:
        return
    assert public_user_id(encoded) == sub  # reversible, hence two subs never share an account
    assert all(ch.isascii() and (ch.isalnum() or ch in "_.@:-") for ch in encoded)
    plain = all(ch.isascii() and (ch.isalnum() or ch in "_.@-") for ch in sub)
    assert (encoded == sub) == plain  # existing plain ids keep their accounts


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sub=st.text(max_size=48), route=st.sampled_from(ROUTES), in_path=st.booleans())
def test_any_sub_on_any_route_answers_below_500(
    ledger_table: str, sub: str, route: tuple, in_path: bool
) -> None:
    """Any ``sub`` as the caller, and (``in_path``) as the user a path names: a friend, an account."""
    method, path, function = route
    params: dict[str, str] = {}
    if in_path and sub:
        params = {"friend_id": sub, "account": f"user:{sub}/wallet/CNY"}
        params = {name: value for name, value in params.items() if "{" + name + "}" in path}
    status, body, _ = call_route(method, path, function, sub=sub, params=params)
    assert status < 500, (sub, method, path, status, body)


def test_the_routes_come_from_the_committed_spec() -> None:
    """The suite's routes are openapi.json's, so the routes added since the issue are in it."""
    paths = {path for _, path, _ in ROUTES}
    for added in (
        "/v1/admin/merchants",
        "/v1/merchants/{merchant_id}/campaigns/{campaign_id}/activate",
        "/v1/coupons/{coupon_id}/redemptions",
        "/v1/admin/accounts/{account}/history",
        "/v1/admin/entries/{entry_id}/reversal",
        "/v1/me/reminders",
        "/v1/friends",
    ):
        assert added in paths, added
    assert ("PUT", "/v1/me/reminders") in {(m, p) for m, p, _ in POSTS}


def _deep(levels: int) -> str:
    return '{"amount": ' + "[" * levels + "]" * levels + "}"


HOSTILE_BODIES = {
    "integer-4301-digits": ('{"amount": ' + "9" * 4301 + "}", {}, 400),
    "integer-31-digits": ('{"amount": ' + "1" * 31 + "}", {}, 400),
    "nested-1000-deep": (_deep(1000), {}, 400),
    "nan": ('{"amount": NaN}', {}, 400),
    "not-json": ("{'amount': 1}", {}, 400),
    "too-large": (json.dumps({"amount": 1, "pad": "x" * 20_000}), {}, 413),
    "text-plain": ('{"amount": 1}', {"Content-Type": "text/plain"}, 415),
    "form": ("amount=1", {"Content-Type": "application/x-www-form-urlencoded"}, 415),
}


SLUGS = {400: "validation-error", 413: "payload-too-large", 415: "unsupported-media-type"}


@pytest.mark.parametrize(("method", "path", "function"), POSTS, ids=[f"{m} {p}" for m, p, _ in POSTS])
def test_unreadable_bodies_are_refused_and_move_nothing(
    ledger_table: str, method: str, path: str, function: str
) -> None:
    fund("alice", 10_000, "top-up-alice")
    before = table_snapshot(ledger_table)
    for case, (text, headers, expected) in sorted(HOSTILE_BODIES.items()):
        status, body, got = call_route(
            method, path, function, sub="alice", body=text, headers=headers, key=f"hostile-{case}"
        )
        assert_problem(status, body, got, expected)
        assert body["type"] == SLUGS[expected], (case, body)
    assert table_snapshot(ledger_table) == before


@pytest.mark.parametrize(
    "content_type", ["APPLICATION/JSON", "application/json; charset=utf-8", "Application/Json;charset=UTF-8"]
)
def test_json_media_type_is_read_case_insensitively(ledger_table: str, content_type: str) -> None:
    fund("alice", 10_000, "top-up-alice")
    status, body, _ = Api("SavingsFunction").call(
        "POST",
        "/v1/purse/releases",
        body={"amount": 1},
        headers={"Idempotency-Key": "r-1", "Content-Type": content_type},
    )
    assert (status, body["type"]) == (422, "insufficient-funds")  # read as JSON, refused by the domain


def test_a_day_past_the_calendar_is_a_400(ledger_table: str) -> None:
    for epoch in ("9999-12-31", "2026-02-30", "0000-01-01"):
        status, body, headers = Api("SeedsFunction").call(
            "GET",
            f"/v1/seeds/epochs/{epoch}",
            route="/v1/seeds/epochs/{epoch}",
            path_parameters={"epoch": epoch},
        )
        assert_problem(status, body, headers, 400)


def _b64(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


FORGED_CURSORS = [
    _b64({"hist_pk": "x"}),
    _b64({"hist_pk": {"S": "user:alice/wallet/CNY"}}),
    _b64(
        {"hist_pk": {"S": "user:alice/wallet/CNY"}, "hist_sk": {"N": "1"}, "pk": {"S": "p"}, "sk": {"S": "s"}}
    ),
    _b64(["hist_pk"]),
    _b64(7),
    "!!!!",
    base64.urlsafe_b64encode(b"\xff\xfe").decode(),
    _b64({"a": [[[[[[]]]]]]}),
]


@pytest.mark.parametrize("cursor", FORGED_CURSORS)
def test_forged_journal_cursors_are_a_400(ledger_table: str, cursor: str) -> None:
    fund("alice", 10, "top-up-alice")
    status, body, headers = Api("AccountsFunction").call("GET", "/v1/me/journal", query={"cursor": cursor})
    assert_problem(status, body, headers, 400)

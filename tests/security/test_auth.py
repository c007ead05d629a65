"""Every route of template.yaml refuses a request without a valid token (401 problem+json).

Routes are read from the template's HttpApi events, so a new route is covered the day it is added. Each
is called through the local gateway (the JWT authorizer's checks: signature, expiry) with no header, a
token signed with another key, an expired token, and a well-signed token without ``sub`` (which the
authorizer lets through in AWS too: the handler must refuse it). Requests carry a plausible body and an
``Idempotency-Key``, so the missing identity is the only thing wrong with them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import jwt
import pytest

from infra import token as tokens
from infra.template import sam_template
from tests.local.conftest import Client

ADMIN_SCOPE = "ledger/admin"


def template_routes() -> list[tuple[str, str]]:
    routes = set()
    for resource in sam_template()["Resources"].values():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        for event in (resource["Properties"].get("Events") or {}).values():
            if event.get("Type") == "HttpApi":
                props = event["Properties"]
                routes.add((str(props["Method"]).upper(), str(props["Path"])))
    return sorted(routes)


# values that satisfy each path parameter's pattern, and a valid body per POST route
PATH_VALUES = {
    "story_id": "first-date",
    "game_id": "puzzle",
    "session_id": "puzzle." + "a" * 26,
    "entry_id": "e" + "a" * 25,
    "withdrawal_id": "e" + "a" * 25,
    "friend_id": "someone",
    "box_id": "box-1",
    "epoch": "2026-01-01",
    "coupon_id": "coupon-1",
    "rental_id": "rental-1",
    "cabinet_id": "cab-hz-001",
    "merchant_id": "m1",
    "campaign_id": "c1",
    "redemption_id": "e" + "a" * 25,
    "challenge_id": "seven-days",
    "card_id": "gc" + "a" * 18,
    "invite_code": "ABCDEFGHJK",
}
CAMPAIGN_SPEC = {
    "campaign_id": "c1",
    "name": "Spring",
    "trigger": {"event": "payment.completed"},
    "effect": {"kind": "cash", "amount": 1},
}
GAME_SPEC = {
    "title": "Tap tap",
    "title_zh": "点点",
    "max_score": 100,
    "max_score_per_second": 10,
    "min_duration_ms": 1000,
    "max_duration_ms": 60000,
    "rewards": [{"min_score": 0, "fen": 1}],
}
BODIES: dict[str, Any] = {
    "/v1/admin/games": {"game_id": "tap-tap", **GAME_SPEC},
    "/v1/admin/games/{game_id}": GAME_SPEC,
    "/v1/admin/games/{game_id}/status": {"status": "suspended"},
    "/v1/stories/{story_id}/choices": {"chapter": 1, "choice_id": "postcard"},
    "/v1/purse/releases": {"amount": 1},
    "/v1/games/sessions/{session_id}/result": {"score": 1, "duration_ms": 1000, "signature": "0" * 64},
    "/v1/admin/held-rewards/{entry_id}/approve": {"note": ""},
    "/v1/admin/held-rewards/{entry_id}/reject": {"note": ""},
    "/v1/admin/entries/{entry_id}/reversal": {"reason": "a mistake"},
    "/v1/withdrawals": {"amount": 10},
    "/v1/forest/friends/{friend_id}/steal": {"lot_id": "20260101T000000Z-aaaaaaaaaaaaaaaa-1-0"},
    "/v1/forest/friends/{friend_id}/water": {"amount": 1},
    "/v1/forest/trees": {"species": "sacsaoul"},
    "/v1/farm/donations": {"project_id": "p1", "eggs": 1},
    "/v1/seeds/donations": {"project_id": "p1", "seeds": 1},
    "/v1/rentals": {"cabinet_id": "cab-hz-001", "item": "umbrella"},
    "/v1/admin/merchants": {"merchant_id": "m1", "name": "Tea shop"},
    "/v1/merchants/{merchant_id}/campaigns": CAMPAIGN_SPEC,
    "/v1/merchants/{merchant_id}/campaigns/{campaign_id}/versions": CAMPAIGN_SPEC,
    "/v1/merchants/{merchant_id}/campaigns/{campaign_id}/activate": {"budget": 1},
    "/v1/merchants/{merchant_id}/redemptions": {
        "code": "ABCDEFGHJKLM-5",
        "order_id": "o1",
        "order_amount": 1,
    },
    "/v1/merchants/{merchant_id}/redemptions/{redemption_id}/rollback": {"reason": "refund"},
    "/v1/me/reminders": {"muted": []},
    "/v1/merchants/{merchant_id}/loyalty": {"earn_per_yuan": 1, "points_valid_days": 365},
    "/v1/merchants/{merchant_id}/loyalty/redemptions": {"user_id": "alice", "points": 1, "order_id": "o1"},
    "/v1/me/loyalty/coupons": {"merchant_id": "m1", "campaign_id": "coffee-for-points"},
    "/v1/merchants/{merchant_id}/challenges": {
        "challenge_id": "seven-days",
        "title": "7 days",
        "days": 7,
        "checkin": {"event": "merchant.verified"},
    },
    "/v1/merchants/{merchant_id}/challenges/{challenge_id}/checkins": {"user_id": "alice"},
    "/v1/merchants/{merchant_id}/gift-cards": {"amount": 100},
    "/v1/merchants/{merchant_id}/gift-cards/{card_id}/captures": {"amount": 1, "order_id": "o1"},
    "/v1/me/gift-cards/{card_id}/gift": {"friend_id": "someone"},
}

BAD_CREDENTIALS: dict[str, Callable[[], str | None]] = {
    "missing": lambda: None,
    "bad-signature": lambda: "Bearer " + tokens.issue("alice", key="not-the-local-secret-at-all"),
    "expired": lambda: "Bearer " + tokens.issue("alice", ttl_seconds=-60),
    # signed with the right key, valid, but naming nobody (scope included so admin routes get past it)
    "no-sub": lambda: "Bearer " + _token_without_sub(),
}


def _token_without_sub() -> str:
    claims = jwt.decode(tokens.issue("x"), options={"verify_signature": False})
    claims.pop("sub")
    claims["scope"] = ADMIN_SCOPE
    return str(jwt.encode(claims, tokens.secret(), algorithm="HS256"))


def concrete(path: str) -> str:
    return re.sub(r"\{([^}+]+)\+?\}", lambda m: PATH_VALUES.get(m.group(1), "x"), path)


ROUTES = template_routes()


def test_the_template_has_routes_to_check() -> None:
    assert len(ROUTES) >= 30
    assert ("GET", "/v1/me/balances") in ROUTES


@pytest.mark.parametrize("credentials", sorted(BAD_CREDENTIALS))
@pytest.mark.parametrize(("method", "path"), ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
def test_every_route_refuses_a_request_without_a_valid_token(
    client: Client, method: str, path: str, credentials: str
) -> None:
    header = BAD_CREDENTIALS[credentials]()
    headers = {"Idempotency-Key": f"auth-{credentials}"}
    if header is not None:
        headers["Authorization"] = header
    body = BODIES.get(path, {}) if method == "POST" else BODIES.get(path) if method == "PUT" else None
    reply = client.call(method, concrete(path), body, headers=headers)
    assert reply.status == 401, (reply.status, reply.body)
    assert reply.headers["content-type"] == "application/problem+json"
    assert reply.body["type"] == "unauthorized" and reply.body["status"] == 401
    assert {"type", "title", "status", "detail"} <= set(reply.body)

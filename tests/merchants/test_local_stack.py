"""Merchants end to end through the local stack: HTTP with local JWTs (roles at the gateway and in the
handler), EventBridge rules (merchant.funded, payment.completed at a merchant), the clock and the
expiry schedule feeding its SQS worker."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from infra import token as tokens
from reward_ledger.games import sign
from reward_ledger.games.sessions import LOCAL_SECRET_DEFAULT
from tests.local.conftest import Client, Reply, client, eventually, stack  # noqa: F401 (fixtures)

pytestmark = pytest.mark.slow
OPS = tokens.issue("ops", extra={"scope": "ledger/admin"})
REDELIVERIES = 2
LOCAL_SECRET = LOCAL_SECRET_DEFAULT.encode()


def staff(merchant_id: str) -> str:
    return tokens.issue(
        f"staff-{merchant_id}", extra={"scope": "ledger/merchant", "merchant_id": merchant_id}
    )


def post(client: Client, path: str, body: Any, token: str, key: str | None = None) -> Reply:  # noqa: F811
    return client.call("POST", path, body, token=token, headers={"Idempotency-Key": key or uuid.uuid4().hex})


def shop(client: Client, prepaid: int) -> str:  # noqa: F811
    merchant = "m-" + uuid.uuid4().hex[:8]
    created = post(client, "/v1/admin/merchants", {"merchant_id": merchant, "name": "Tea shop"}, OPS)
    assert created.status == 201, created.body
    funded = client.event(
        "payments",
        "merchant.funded",
        {"funding_id": f"f-{merchant}", "merchant_id": merchant, "amount": prepaid},
    )
    assert funded.status == 200, funded.body
    return merchant


def campaign(client: Client, merchant: str, effect: dict[str, Any], budget: int) -> str:  # noqa: F811
    cid = "c-" + uuid.uuid4().hex[:8]
    spec = {
        "campaign_id": cid,
        "name": "Spring",
        "trigger": {"event": "payment.completed", "min_amount": 1000},
        "effect": effect,
    }
    base = f"/v1/merchants/{merchant}/campaigns"
    assert post(client, base, spec, staff(merchant)).status == 201
    activated = post(client, f"{base}/{cid}/activate", {"budget": budget}, staff(merchant))
    assert activated.status == 201, activated.body
    return cid


def pay(client: Client, merchant: str, user: str, payment_id: str) -> Reply:  # noqa: F811
    """Deliver a payment at ``merchant``; on a lost answer (a loaded machine), deliver it again, as
    EventBridge would: the event is idempotent by its id, so a redelivery never pays twice."""
    detail = {
        "payment_id": payment_id,
        "user_id": user,
        "amount": 5_000,
        "category": "offline",
        "merchant_id": merchant,
        "occurred_at": "2026-11-23T03:00:00Z",
    }
    for _ in range(REDELIVERIES):
        try:
            return client.event("payments", "payment.completed", detail)
        except OSError:  # timed out
            continue
    return client.event("payments", "payment.completed", detail)


def race(count: int, work: Any) -> list[Any]:
    barrier, results = threading.Barrier(count), [None] * count

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = work(i)
        except Exception as exc:  # asserted by the test
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_racing_payments_against_a_budget_of_three_awards_pay_exactly_three(client: Client) -> None:  # noqa: F811
    merchant = shop(client, 1_000)
    cid = campaign(client, merchant, {"kind": "cash", "amount": 100}, budget=300)
    users = [f"u-{uuid.uuid4().hex[:8]}" for _ in range(8)]
    replies = race(8, lambda i: pay(client, merchant, users[i], f"pay-{users[i]}"))
    assert all(isinstance(r, Reply) and r.status == 200 for r in replies), replies  # refusals are no errors
    assert sum(client.balances(u)["cash"] for u in users) == 300
    view = client.call("GET", f"/v1/merchants/{merchant}/campaigns/{cid}", token=staff(merchant)).body
    assert (view["awards"], view["budget_remaining"]) == (3, 0)


def test_ending_a_campaign_returns_the_rest_exactly_once(client: Client) -> None:  # noqa: F811
    merchant = shop(client, 1_000)
    cid = campaign(client, merchant, {"kind": "cash", "amount": 100}, budget=1_000)
    assert pay(client, merchant, "u-" + uuid.uuid4().hex[:8], "p-" + cid).status == 200
    path = f"/v1/merchants/{merchant}/campaigns/{cid}/end"
    ends = race(4, lambda i: post(client, path, {}, staff(merchant)))
    assert sorted(r.status for r in ends) == [201, 409, 409, 409]
    assert [r.body["returned"] for r in ends if r.status == 201] == [900]
    view = client.call("GET", f"/v1/merchants/{merchant}", token=staff(merchant)).body
    assert view["prepaid"] == 900
    assert view["campaigns"] == [{"campaign_id": cid, "status": "ended", "budget_remaining": 0}]


def test_a_coupon_is_redeemed_once_rolled_back_once_and_an_unredeemed_one_expires(client: Client) -> None:  # noqa: F811
    merchant = shop(client, 2_000)
    coupon = {"title": "5 off", "value": 500, "min_spend": 3_000, "valid_days": 1}
    cid = campaign(client, merchant, {"kind": "coupon", "coupon": coupon}, budget=1_000)
    alice, bob = "u-" + uuid.uuid4().hex[:8], "u-" + uuid.uuid4().hex[:8]
    pay(client, merchant, alice, "p-a-" + cid)
    pay(client, merchant, bob, "p-b-" + cid)
    [held] = client.call("GET", "/v1/me/coupons", user=alice).body["coupons"]
    checkout = f"/v1/merchants/{merchant}/redemptions"
    order = {"code": held["code"], "order_id": "o1", "order_amount": 4_000}
    redeemed = race(6, lambda i: post(client, checkout, order, staff(merchant)))
    assert sorted(r.status for r in redeemed) == [201] + [409] * 5
    [won] = [r.body for r in redeemed if r.status == 201]
    rollback = f"{checkout}/{won['redemption_id']}/rollback"
    assert post(client, rollback, {"reason": "refund"}, staff(merchant)).status == 201
    assert post(client, rollback, {"reason": "refund"}, staff(merchant)).status == 409
    assert client.call("GET", "/v1/me/coupons", user=alice).body["coupons"][0]["status"] == "issued"
    budget = f"/v1/merchants/{merchant}/campaigns/{cid}"
    assert client.call("GET", budget, token=staff(merchant)).body["budget_remaining"] == 0
    [bobs] = client.call("GET", "/v1/me/coupons", user=bob).body["coupons"]
    client.call("POST", "/_local/clock", {"now": bobs["expires_at"].replace(".000Z", ".500Z")})
    try:
        assert client.call("POST", "/_local/schedules/ExpiryFanoutFunction").status == 200
        eventually(
            lambda: client.call("GET", budget, token=staff(merchant)).body["budget_remaining"],
            lambda left: left == 1_000,
            timeout=60,
        )  # both coupons, unredeemed, gave their value back
    finally:
        client.call("POST", "/_local/clock", {"now": None})
    assert client.call("GET", "/v1/me/coupons", user=bob).body["coupons"][0]["status"] == "expired"


def test_other_merchants_staff_and_users_are_refused_on_every_merchant_route(client: Client) -> None:  # noqa: F811
    merchant = shop(client, 100)
    other, user = staff("someone-else"), tokens.issue("plain-user")
    base = f"/v1/merchants/{merchant}"
    spec = {
        "campaign_id": "c1",
        "name": "x",
        "trigger": {"event": "payment.completed"},
        "effect": {"kind": "cash", "amount": 1},
    }
    checkout = {"code": "ABCDEFGHJKLM-500", "order_id": "o1", "order_amount": 9_000}
    routes = [  # valid bodies: the refusal is about the caller, not the request
        ("GET", base, None),
        ("POST", f"{base}/campaigns", spec),
        ("GET", f"{base}/campaigns/c1", None),
        ("POST", f"{base}/campaigns/c1/versions", spec),
        ("POST", f"{base}/campaigns/c1/activate", {"budget": 1}),
        ("POST", f"{base}/campaigns/c1/pause", {}),
        ("POST", f"{base}/campaigns/c1/end", {}),
        ("POST", f"{base}/redemptions", checkout),
        ("POST", f"{base}/redemptions/e1/rollback", {"reason": "x"}),
        ("POST", "/v1/admin/merchants", {"merchant_id": "x", "name": "x"}),
    ]
    for method, path, body in routes:
        for token in (other, user):
            reply = client.call(method, path, body, token=token, headers={"Idempotency-Key": "k"})
            assert reply.status == 403, (method, path, reply.body)
    assert client.call("GET", base, token=staff(merchant)).status == 200


def test_a_game_result_pays_the_seeded_level_campaigns_through_the_stream_and_the_bus(client: Client) -> None:  # noqa: F811
    """The stack's seed (data/campaigns.toml) runs the sponsor boosts as campaigns: the result's entry goes
    through the table's stream, the publisher and the ledger's bus to the campaign triggers."""
    user = "u-" + uuid.uuid4().hex[:8]
    token = tokens.issue(user)
    start = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)
    client.call("POST", "/_local/clock", {"now": start.isoformat()})
    try:
        opened = post(client, "/v1/games/puzzle/sessions", {"level": 3}, token)
        assert opened.status == 201, opened.body
        sid = opened.body["session_id"]
        client.call("POST", "/_local/clock", {"now": (start + timedelta(seconds=40)).isoformat()})
        body = {"score": 600, "duration_ms": 30_000, "signature": sign(LOCAL_SECRET, sid, 600, 30_000)}
        result = client.call(
            "POST",
            f"/v1/games/sessions/{sid}/result",
            body,
            token=token,
            headers={"Idempotency-Key": uuid.uuid4().hex, "X-Device-Id": f"dev-{user}"},
        )
        assert (result.status, result.body["granted"]) == (201, 6), result.body
        # 6 from the house, then 2 (the puzzle's sponsor) and 20 (its level 3) from the brand's budgets
        eventually(lambda: client.balances(user).get("cash"), lambda cash: cash == 28, timeout=60)
    finally:
        client.call("POST", "/_local/clock", {"now": None})

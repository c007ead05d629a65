"""The programs' done-when through the local stack (every function in its own worker process): points
only at the right merchant and a tier reached; a 7-day challenge completed on 7 local days pays its
prize once while a missed day fails another user's; 8 racing captures of 1,000 on a 3,000 card capture
exactly 3; a referral pays once. Events the stream publishes are relayed from the local outbox, as
EventBridge's rule would deliver them (twice: delivery is at least once)."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import pytest

from infra import token as tokens
from tests.local.conftest import Client, Reply, client, stack  # noqa: F401 (fixtures)

pytestmark = pytest.mark.slow
OPS = tokens.issue("ops", extra={"scope": "ledger/admin"})


def staff(merchant: str) -> str:
    return tokens.issue(f"staff-{merchant}", extra={"scope": "ledger/merchant", "merchant_id": merchant})


def post(client: Client, path: str, body: Any, token: str, headers: dict[str, str] | None = None) -> Reply:  # noqa: F811
    return client.call(
        "POST", path, body, token=token, headers={"Idempotency-Key": uuid.uuid4().hex, **(headers or {})}
    )


def shop(client: Client, prepaid: int = 0) -> str:  # noqa: F811
    merchant = "m-" + uuid.uuid4().hex[:8]
    assert post(client, "/v1/admin/merchants", {"merchant_id": merchant, "name": "Shop"}, OPS).status == 201
    if prepaid:
        detail = {"funding_id": f"f-{merchant}", "merchant_id": merchant, "amount": prepaid}
        assert client.event("payments", "merchant.funded", detail).status == 200
    return merchant


def pay(client: Client, user: str, amount: int, merchant: str | None = None) -> None:  # noqa: F811
    detail: dict[str, Any] = {
        "payment_id": uuid.uuid4().hex,
        "user_id": user,
        "amount": amount,
        "category": "offline",
        "occurred_at": "2026-11-23T03:00:00Z",
    }
    if merchant:
        detail["merchant_id"] = merchant
    assert client.event("payments", "payment.completed", detail).status == 200


def campaign(client: Client, merchant: str, trigger: dict[str, Any], amount: int) -> None:  # noqa: F811
    cid = "c-" + uuid.uuid4().hex[:8]
    spec = {
        "campaign_id": cid,
        "name": "Prize",
        "trigger": trigger,
        "effect": {"kind": "cash", "amount": amount},
    }
    assert post(client, f"/v1/merchants/{merchant}/campaigns", spec, staff(merchant)).status == 201
    assert (
        post(
            client, f"/v1/merchants/{merchant}/campaigns/{cid}/activate", {"budget": 5_000}, staff(merchant)
        ).status
        == 201
    )


def relay(client: Client, detail_type: str, user: str) -> int:  # noqa: F811
    """Deliver what the stream published (outbox) to the rules, twice each."""
    events = client.call("GET", f"/_local/outbox?detail-type={detail_type}&user_id={user}").body["events"]
    for event in events:
        for _ in range(2):
            assert client.event("reward-ledger", detail_type, event["detail"]).status == 200
    return len(events)


def cash(client: Client, user: str) -> int:  # noqa: F811
    return client.balances(user)["cash"]


def test_points_only_at_the_right_merchant_and_a_tier(client: Client) -> None:  # noqa: F811
    m1, m2, user = shop(client), shop(client), "lp-" + uuid.uuid4().hex[:6]
    program = {"earn_per_yuan": 2, "tiers": [{"tier": "silver", "min_points": 100}], "points_valid_days": 30}
    assert post(client, f"/v1/merchants/{m1}/loyalty", program, staff(m2)).status == 403
    assert post(client, f"/v1/merchants/{m1}/loyalty", program, staff(m1)).status == 201
    pay(client, user, 6_000, m1)  # 60 yuan: 120 points
    pay(client, user, 6_000, m2)
    reply = client.call("GET", "/v1/me/loyalty", user=user)
    [standing] = reply.body["programs"]
    assert (standing["merchant_id"], standing["points"], standing["tier"]) == (m1, 120, "silver")


def test_a_seven_day_challenge_pays_once_and_a_missed_day_fails(client: Client) -> None:  # noqa: F811
    merchant, cid = shop(client, prepaid=10_000), "ch-" + uuid.uuid4().hex[:8]
    alice, bob = "ca-" + uuid.uuid4().hex[:6], "cb-" + uuid.uuid4().hex[:6]
    body = {"challenge_id": cid, "title": "7 days", "days": 7, "checkin": {"event": "payment.completed"}}
    assert post(client, f"/v1/merchants/{merchant}/challenges", body, staff(merchant)).status == 201
    campaign(client, merchant, {"event": "challenge.completed", "challenge_id": cid}, 888)
    try:
        for day in range(7):
            client.call("POST", "/_local/clock", {"now": f"2026-11-{day + 1:02d}T02:00:00Z"})  # 10:00 local
            if day == 0:
                for user in (alice, bob):
                    assert (
                        post(client, f"/v1/challenges/{cid}/participants", {}, tokens.issue(user)).status
                        == 201
                    )
            pay(client, alice, 500, merchant)
            pay(client, alice, 500, merchant)  # twice the same day: counted once
            if day != 4:
                pay(client, bob, 500, merchant)
        mine = {
            u: client.call("GET", "/v1/me/challenges", user=u).body["challenges"][0] for u in (alice, bob)
        }
    finally:
        client.call("POST", "/_local/clock", {"now": None})
    assert (mine[alice]["status"], mine[alice]["checked_in_days"]) == ("completed", 7)
    assert mine[bob]["status"] == "failed"
    assert relay(client, "challenge.completed", alice) == 1
    assert relay(client, "challenge.completed", bob) == 0
    assert (cash(client, alice), cash(client, bob)) == (888, 0)


def test_eight_racing_captures_on_a_card_capture_exactly_three(client: Client) -> None:  # noqa: F811
    merchant, user = shop(client), "gc-" + uuid.uuid4().hex[:6]
    assert (
        client.event(
            "payments", "wallet.funded", {"funding_id": uuid.uuid4().hex, "user_id": user, "amount": 3_000}
        ).status
        == 200
    )
    card = post(client, f"/v1/merchants/{merchant}/gift-cards", {"amount": 3_000}, tokens.issue(user))
    assert card.status == 201, card.body
    path = f"/v1/merchants/{merchant}/gift-cards/{card.body['card_id']}/captures"
    barrier, statuses = threading.Barrier(8), []

    def capture(n: int) -> None:
        barrier.wait()
        statuses.append(post(client, path, {"amount": 1_000, "order_id": f"o{n}"}, staff(merchant)).status)

    threads = [threading.Thread(target=capture, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [201] * 3 + [422] * 5
    cards = client.call("GET", "/v1/me/gift-cards", user=user).body["cards"]
    assert [c["balance"] for c in cards] == [0]


def test_a_referral_pays_once(client: Client) -> None:  # noqa: F811
    platform = shop(client, prepaid=10_000)
    campaign(client, platform, {"event": "invite.qualified"}, 500)
    inviter, invitee = "ri-" + uuid.uuid4().hex[:6], "re-" + uuid.uuid4().hex[:6]
    code = post(client, "/v1/me/invites", {}, tokens.issue(inviter)).body["invite_code"]
    accepted = post(
        client, f"/v1/invites/{code}/accept", {}, tokens.issue(invitee), {"X-Device-Id": uuid.uuid4().hex}
    )
    assert accepted.body == {"inviter": inviter, "status": "accepted"}
    pay(client, invitee, 2_000)
    pay(client, invitee, 2_000)
    assert relay(client, "invite.qualified", inviter) == 1
    assert cash(client, inviter) == 500

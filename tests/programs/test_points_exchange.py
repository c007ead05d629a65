"""Points spent on a campaign's coupon: one entry takes the price from the oldest lots and issues the
coupon with its value reserved from the campaign's budget; short points, an inactive campaign and an
empty budget are refused by name and change nothing; the coupon is redeemed at the till like any."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from reward_ledger import clock, points
from reward_ledger.campaigns import accounts
from reward_ledger.ledger import Ledger
from reward_ledger.points import PointsLot, lot_pk
from tests.programs.conftest import Caller, pay, register, set_program, staff

T0 = datetime(2026, 11, 1, 3, tzinfo=UTC)
CAMPAIGNS = "/v1/merchants/{merchant_id}/campaigns"
EXCHANGE = "/v1/me/loyalty/coupons"


def campaign(cid: str, trigger: dict[str, Any], budget: int | None, **extra: Any) -> None:
    merchants = Caller("MerchantsFunction")
    spec: dict[str, Any] = {
        **extra,
        "campaign_id": cid,
        "name": "A coffee for points",
        "trigger": trigger,
        "effect": {"kind": "coupon", "coupon": {"title": "5 CNY off", "value": 500, "valid_days": 30}},
    }
    assert (
        merchants.post(
            "/v1/merchants/m1/campaigns", CAMPAIGNS, spec, staff("m1"), f"create-{cid}", merchant_id="m1"
        )[0]
        == 201
    )
    if budget is not None:
        status, body = merchants.post(
            f"/v1/merchants/m1/campaigns/{cid}/activate",
            f"{CAMPAIGNS}/{{campaign_id}}/activate",
            {"budget": budget},
            staff("m1"),
            f"activate-{cid}",
            merchant_id="m1",
            campaign_id=cid,
        )
        assert status == 201, body


def exchange(api: Caller, user: str, cid: str, key: str) -> tuple[int, dict[str, Any]]:
    return api.post(EXCHANGE, EXCHANGE, {"merchant_id": "m1", "campaign_id": cid}, {"sub": user}, key)


def lots_left(user: str) -> list[int]:
    return [int(lot.left) for lot in PointsLot.query(lot_pk("m1", user))]


def test_points_buy_a_campaigns_coupon_in_one_entry_refused_by_name_otherwise(
    loyalty_api: Caller, ledger: Ledger
) -> None:
    register("m1", prepaid=10_000)
    set_program(loyalty_api, "m1", points_valid_days=365)
    campaign("coffee", {"event": "points.exchange", "points": 300}, budget=1_000)  # two coupons
    campaign("draft", {"event": "points.exchange", "points": 300}, budget=None)
    campaign("cashback", {"event": "payment.completed", "min_amount": 10**9}, budget=500)
    clock.set_now(T0)
    pay("ann", 20_000, "p1", "m1")  # 200 points
    clock.set_now(T0 + timedelta(days=1))
    pay("ann", 20_000, "p2", "m1")  # 200 more: 400
    pay("ben", 80_000, "p3", "m1")  # 800
    budget, reserved = accounts.budget("coffee"), accounts.reserved("m1")
    ann_points = points.points_account("ann", "m1")

    status, first = exchange(loyalty_api, "ann", "coffee", "x1")
    assert status == 201, first
    assert (first["points_spent"], first["points"], first["coupon"]["value"]) == (300, 100, 500)
    assert lots_left("ann") == [0, 100]  # the oldest lot first
    assert (ledger.balance(budget), ledger.balance(reserved), ledger.balance(ann_points)) == (500, 500, 100)
    assert exchange(loyalty_api, "ann", "coffee", "x1") == (201, first)  # a replay: the same coupon
    status, body = exchange(loyalty_api, "ann", "draft", "x1")  # another body under the used key
    assert status == 409 and body["type"] == "idempotency-conflict"

    refusals = [
        ("ann", "coffee", "insufficient-points"),  # 100 left of a 300-point price
        ("ben", "draft", "campaign-not-active"),  # never activated
        ("ben", "cashback", "campaign-not-active"),  # active, but sells no coupon for points
        ("ben", "nothing", "campaign-not-active"),
    ]
    for user, cid, slug in refusals:
        status, body = exchange(loyalty_api, user, cid, f"{user}-{cid}")
        assert (status, body["type"]) == (422, slug), body
    assert ledger.balance(budget) == 500 and lots_left("ann") == [0, 100] and lots_left("ben") == [800]

    assert exchange(loyalty_api, "ben", "coffee", "y1")[0] == 201  # the budget's second coupon
    status, body = exchange(loyalty_api, "ben", "coffee", "y2")
    assert (status, body["type"]) == (422, "budget-spent")
    assert lots_left("ben") == [500] and ledger.balance(budget) == 0 and ledger.balance(reserved) == 1_000

    merchants = Caller("MerchantsFunction")
    checkout = {"code": first["coupon"]["code"], "order_id": "o1", "order_amount": 2_000}
    status, body = merchants.post(
        "/v1/merchants/m1/redemptions",
        "/v1/merchants/{merchant_id}/redemptions",
        checkout,
        staff("m1"),
        merchant_id="m1",
    )
    assert status == 201, body  # the exchanged coupon is a campaign's coupon like any
    assert ledger.balance(accounts.settled("m1")) == 500


def test_a_tier_gated_campaign_sells_its_coupon_for_points_to_its_tiers_only(
    loyalty_api: Caller, ledger: Ledger
) -> None:
    """The campaign's audience gates an exchange as it gates an award: points do not buy past a tier."""
    register("m1", prepaid=10_000)
    set_program(loyalty_api, "m1", points_valid_days=365)  # silver from 100 points, gold from 500
    campaign(
        "gold-only", {"event": "points.exchange", "points": 100}, budget=1_000, audience={"tiers": ["gold"]}
    )
    clock.set_now(T0)
    pay("ann", 30_000, "p1", "m1")  # 300 points: silver
    pay("ben", 60_000, "p2", "m1")  # 600 points: gold
    status, body = exchange(loyalty_api, "ann", "gold-only", "a1")
    assert (status, body["type"]) == (422, "outside-audience")
    assert lots_left("ann") == [300] and ledger.balance(accounts.budget("gold-only")) == 1_000
    status, body = exchange(loyalty_api, "ben", "gold-only", "b1")
    assert status == 201, body
    assert body["points"] == 500

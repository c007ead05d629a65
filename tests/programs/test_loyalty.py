"""Loyalty: points earned only at the program's merchant (once per payment), tiers by points earned in
the window, spending oldest first, expiry oldest first through the sweep, and campaigns paying points."""

from __future__ import annotations

import contextlib
import uuid
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reward_ledger import clock, loyalty, points
from reward_ledger.errors import InsufficientFunds
from reward_ledger.ledger import IdempotencyKey, Ledger, user_account
from reward_ledger.wiring import PRODUCT
from tests.programs.conftest import Caller, pay, register, set_program, staff

T0 = datetime(2026, 11, 1, 3, tzinfo=UTC)


def standing(api: Caller, user: str) -> dict[str, dict]:
    status, body = api.get("/v1/me/loyalty", user)
    assert status == 200, body
    return {p["merchant_id"]: p for p in body["programs"]}


def test_points_are_earned_only_at_the_merchant_once_per_payment_and_a_tier_is_reached(
    loyalty_api: Caller, ledger: Ledger
) -> None:
    register("m1")
    register("m2")
    status, program = set_program(loyalty_api, "m1")
    assert status == 201 and program["version"] == 1, program
    pay("alice", 12_050, "p1", "m1")  # 120.50 CNY -> 120 points
    pay("alice", 12_050, "p1", "m1")  # redelivered: nothing more
    pay("alice", 90_000, "p2", "m2")  # m2 runs no program
    pay("alice", 90_000, "p3")  # not at a merchant
    view = standing(loyalty_api, "alice")
    assert list(view) == ["m1"]
    assert view["m1"]["points"] == 120
    assert (view["m1"]["tier"], view["m1"]["next_tier"], view["m1"]["points_to_next"]) == (
        "silver",
        "gold",
        380,
    )
    assert ledger.balance(points.points_account("alice", "m2")) == 0


def test_staff_of_another_merchant_cannot_set_the_program(loyalty_api: Caller) -> None:
    register("m1")
    status, body = loyalty_api.post(
        "/v1/merchants/m1/loyalty",
        "/v1/merchants/{merchant_id}/loyalty",
        {"earn_per_yuan": 1, "points_valid_days": 30},
        staff("m2"),
        merchant_id="m1",
    )
    assert status == 403, body
    status, body = set_program(loyalty_api, "nowhere")
    assert status == 404 and body["type"] == "not-found"


def test_spending_takes_the_oldest_lots_and_the_sweep_expires_the_rest_oldest_first(
    loyalty_api: Caller, ledger: Ledger
) -> None:
    register("m1")
    set_program(loyalty_api, "m1", points_valid_days=10)
    clock.set_now(T0)
    pay("bob", 10_000, "p1", "m1")  # 100 points, valid until T0 + 10 days
    clock.set_now(T0 + timedelta(days=5))
    pay("bob", 5_000, "p2", "m1")  # 50 points, valid until T0 + 15 days
    spend = {"user_id": "bob", "points": 120, "order_id": "o1"}
    route = "/v1/merchants/{merchant_id}/loyalty/redemptions"
    status, body = loyalty_api.post(
        "/v1/merchants/m1/loyalty/redemptions", route, spend, staff("m1"), merchant_id="m1"
    )
    assert status == 201 and body["points"] == 30, body
    status, body = loyalty_api.post(
        "/v1/merchants/m1/loyalty/redemptions", route, {**spend, "points": 31}, staff("m1"), merchant_id="m1"
    )
    assert status == 422 and body["type"] == "insufficient-funds"
    assert [e["points"] for e in standing(loyalty_api, "bob")["m1"]["expiring"]] == [30]  # the newer lot
    clock.set_now(T0 + timedelta(days=12))
    assert PRODUCT.sweeper(ledger).sweep_all() == 0  # the oldest lot was spent whole: nothing to expire
    clock.set_now(T0 + timedelta(days=16))
    assert PRODUCT.sweeper(ledger).sweep_all() == 1
    assert PRODUCT.sweeper(ledger).sweep_all() == 0  # a second sweep expires nothing twice
    assert ledger.balance(points.points_account("bob", "m1")) == 0
    assert ledger.balance(points.EXPIRED) == 30


def test_a_points_campaign_pays_points_and_a_tier_gates_a_coupon_campaign(
    loyalty_api: Caller, ledger: Ledger
) -> None:
    register("m1", prepaid=10_000)
    merchants = Caller("MerchantsFunction")
    base, route = "/v1/merchants/m1/campaigns", "/v1/merchants/{merchant_id}/campaigns"
    bonus = {
        "campaign_id": "bonus",
        "name": "Double points",
        "trigger": {"event": "payment.completed"},
        "effect": {"kind": "points", "amount": 50},
    }
    light = {
        "campaign_id": "light",
        "name": "For light members",
        "trigger": {"event": "payment.completed"},
        "effect": {"kind": "cash", "amount": 100},
        "audience": {"tiers": ["silver"]},
    }
    for spec in (bonus, light):
        assert merchants.post(base, route, spec, staff("m1"), merchant_id="m1")[0] == 201
    activate = f"{route}/{{campaign_id}}/activate"
    status, body = merchants.post(
        f"{base}/bonus/activate", activate, {"budget": 0}, staff("m1"), merchant_id="m1", campaign_id="bonus"
    )
    assert status == 422 and body["type"] == "effect-unavailable"  # no program yet
    set_program(loyalty_api, "m1")
    for cid, budget in (("bonus", 0), ("light", 1_000)):
        status, body = merchants.post(
            f"{base}/{cid}/activate",
            activate,
            {"budget": budget},
            staff("m1"),
            merchant_id="m1",
            campaign_id=cid,
        )
        assert status == 201, body
    pay("carol", 2_000, "p1", "m1")  # 20 points + 50 bonus: below silver, no cash
    assert ledger.balance(points.points_account("carol", "m1")) == 70
    pay("carol", 2_000, "p2", "m1")  # 20 + 50 more: 140, silver when "light" is evaluated: cash
    pay("carol", 2_000, "p3", "m1")  # silver: cash again
    assert ledger.balance(points.points_account("carol", "m1")) == 210
    assert standing(loyalty_api, "carol")["m1"]["tier"] == "silver"
    assert ledger.balance(user_account("carol", "cash", "CNY")) == 200  # p1 found her below silver


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.booleans(), st.integers(min_value=1, max_value=300)), min_size=1, max_size=6))
def test_the_points_held_are_always_what_the_lots_have_left(
    loyalty_api: Caller, ledger: Ledger, steps: list[tuple[bool, int]]
) -> None:
    user = f"u{uuid.uuid4().hex[:8]}"
    if not ledger.memo.kept("loyalty-terms", "m1"):
        register("m1")
        set_program(loyalty_api, "m1")
    for n, (earning, amount) in enumerate(steps):
        if earning:
            loyalty.earn(ledger, user, "m1", amount * 100, f"{user}-{n}", clock.now())
        else:
            idem = IdempotencyKey("test", f"{user}-{n}")
            with contextlib.suppress(InsufficientFunds):
                loyalty.spend(ledger, "m1", user, amount, f"o{n}", "test", idem)
        held = ledger.balance(points.points_account(user, "m1"))
        assert held >= 0
        assert held == sum(int(lot.left) for lot in points.open_lots("m1", user))

"""Merchants, campaign lifecycle and awards through the handlers (in process, moto)."""

from __future__ import annotations

import pytest

from reward_ledger.campaigns import accounts
from reward_ledger.ledger import Ledger, reconcile, user_account
from tests.merchants.conftest import (
    OPERATOR,
    Merchants,
    cash_spec,
    fund_merchant,
    pay,
    running,
    staff,
)


def test_operator_creates_a_merchant_once_and_funding_credits_prepaid_once(merchants: Merchants) -> None:
    status, body = merchants.create_merchant("m1")
    assert (status, body) == (201, {"merchant_id": "m1", "name": "Shop m1"})
    status, again = merchants.create_merchant("m1")
    assert (status, again["type"]) == (409, "already-done")
    first = fund_merchant("m1", 50_000, "fund-1")
    replay = fund_merchant("m1", 50_000, "fund-1")
    assert not first["replayed"] and replay["replayed"]
    status, view = merchants.merchant("m1")
    assert status == 200
    assert (view["prepaid"], view["campaigns"]) == (50_000, [])


def test_a_bad_spec_is_a_400_naming_the_field(merchants: Merchants) -> None:
    merchants.create_merchant("m1")
    spec = cash_spec("c1", amount=-5)
    status, body = merchants.create_campaign("m1", spec)
    assert (status, body["type"]) == (400, "validation-error")
    assert "effect" in body["detail"] and "amount" in body["detail"]
    spec = cash_spec("c1") | {"trigger": {"event": "game.result"}}
    status, body = merchants.create_campaign("m1", spec)
    assert status == 400 and "game_id" in body["detail"]


@pytest.mark.parametrize("amount", ["500", True, 500.5])
def test_a_spec_amount_that_is_not_a_json_integer_is_a_400(merchants: Merchants, amount: object) -> None:
    """The spec's numbers are JSON integers, as the OpenAPI says: a string, a boolean or a fraction is
    refused, never read as a number (pydantic's lax mode would take "500" and true)."""
    merchants.create_merchant("m1")
    status, body = merchants.create_campaign("m1", cash_spec("c1", amount=amount))  # type: ignore[arg-type]
    assert (status, body["type"]) == (400, "validation-error")
    assert "amount" in body["detail"]


def test_activation_needs_prepaid_money_and_ending_returns_the_rest_once(
    merchants: Merchants, ledger: Ledger
) -> None:
    merchants.create_merchant("m1")
    fund_merchant("m1", 1_000)
    assert merchants.create_campaign("m1", cash_spec("c1"))[0] == 201
    status, body = merchants.step("m1", "c1", "activate", {"budget": 1_001})
    assert (status, body["type"]) == (422, "insufficient-funds")
    status, body = merchants.step("m1", "c1", "activate", {"budget": 600})
    assert (status, body) == (201, {"campaign_id": "c1", "status": "active", "budget_remaining": 600})
    assert ledger.balance(accounts.prepaid("m1")) == 400
    assert ledger.shard_balances(accounts.budget("c1")).count(0) == 0  # spread over every shard
    pay("u1", "m1", 5_000, "p1")
    status, body = merchants.step("m1", "c1", "end", {})
    assert (status, body) == (201, {"campaign_id": "c1", "status": "ended", "returned": 500})
    status, body = merchants.step("m1", "c1", "end", {})
    assert (status, body["type"]) == (409, "already-done")
    assert ledger.balance(accounts.prepaid("m1")) == 900
    assert ledger.balance(accounts.budget("c1")) == 0
    assert ledger.balance(user_account("u1", "cash", "CNY")) == 100
    assert reconcile().ok


def test_payments_at_the_merchant_pay_within_limits_and_budget_and_never_twice(
    merchants: Merchants, ledger: Ledger
) -> None:
    running(merchants, "m1", cash_spec("c1", 100, per_user=2, per_user_per_day=1), budget=300, prepaid=300)
    outcomes = pay("u1", "m1", 5_000, "p1")["outcomes"]
    assert [o["status"] for o in outcomes] == ["awarded"]
    assert outcomes[0]["version"] == 1
    assert pay("u1", "m1", 5_000, "p1")["outcomes"][0]["replayed"] is True  # a redelivered event
    assert pay("u1", "m1", 5_000, "p2")["outcomes"][0]["reason"] == "per-user-per-day"
    assert pay("u1", "m1", 500, "p3")["outcomes"] == []  # below min_amount: no match
    assert pay("u1", "other", 5_000, "p4")["outcomes"] == []  # another merchant's payment
    assert pay("u2", "m1", 5_000, "p5")["outcomes"][0]["status"] == "awarded"
    assert pay("u3", "m1", 5_000, "p6")["outcomes"][0]["status"] == "awarded"
    assert pay("u4", "m1", 5_000, "p7")["outcomes"][0]["reason"] == "budget-exhausted"
    assert ledger.balance(user_account("u1", "cash", "CNY")) == 100
    assert merchants.campaign("m1", "c1")["awards"] == 3
    assert merchants.campaign("m1", "c1")["budget_remaining"] == 0


def test_max_awards_and_versions(merchants: Merchants, ledger: Ledger) -> None:
    running(merchants, "m1", cash_spec("c1", 100, max_awards=2), budget=10_000, prepaid=10_000)
    edited = cash_spec("c1", 250, max_awards=2)
    status, body = merchants.step("m1", "c1", "versions", edited)
    assert (status, body["version"]) == (201, 2)
    status, body = merchants.step("m1", "c1", "versions", cash_spec("c1", 250, max_awards=5))
    assert status == 400 and "max_awards" in body["detail"]
    first = pay("u1", "m1", 5_000, "p1")["outcomes"][0]
    assert (first["version"], first["amount"]) == (2, 250)
    assert pay("u2", "m1", 5_000, "p2")["outcomes"][0]["status"] == "awarded"
    assert pay("u3", "m1", 5_000, "p3")["outcomes"][0]["reason"] == "max-awards-reached"
    header = ledger.entry(first["entry_id"])
    assert header is not None and header.metadata["version"] == 2


def test_paused_campaigns_pay_nothing_and_are_not_listed(merchants: Merchants) -> None:
    running(merchants, "m1", cash_spec("c1"), budget=1_000, prepaid=1_000)
    listed = merchants.get("/v1/campaigns", "/v1/campaigns", None, {"sub": "u1"})[1]["campaigns"]
    assert [c["campaign_id"] for c in listed] == ["c1"]
    assert merchants.step("m1", "c1", "pause", {})[0] == 201
    assert pay("u1", "m1", 5_000, "p1")["outcomes"] == []
    assert merchants.get("/v1/campaigns", "/v1/campaigns", None, {"sub": "u1"})[1]["campaigns"] == []
    status, body = merchants.step("m1", "c1", "activate", {"budget": 0})
    assert (status, body["budget_remaining"]) == (201, 1_000)
    assert pay("u1", "m1", 5_000, "p1")["outcomes"][0]["status"] == "awarded"


def test_points_effects_are_accepted_but_cannot_run_without_a_loyalty_program(merchants: Merchants) -> None:
    merchants.create_merchant("m1")
    fund_merchant("m1", 1_000)
    spec = cash_spec("c1") | {"effect": {"kind": "points", "amount": 10}}
    assert merchants.create_campaign("m1", spec)[0] == 201
    status, body = merchants.step("m1", "c1", "activate", {"budget": 100})
    assert (status, body["type"]) == (422, "effect-unavailable")


def test_campaign_ids_are_global(merchants: Merchants) -> None:
    merchants.create_merchant("m1")
    merchants.create_merchant("m2")
    assert merchants.create_campaign("m1", cash_spec("c1"))[0] == 201
    status, body = merchants.create_campaign("m2", cash_spec("c1"))
    assert (status, body["type"]) == (409, "already-done")
    status, body = merchants.step("m2", "c1", "activate", {"budget": 0})
    assert (status, body["type"]) == (404, "not-found")


def test_roles_users_and_other_merchants_staff_are_refused_everywhere(merchants: Merchants) -> None:
    merchants.create_merchant("m1")
    user, other = {"sub": "u1"}, staff("m2")
    assert merchants.create_merchant("m9", claims=user)[0] == 403
    assert merchants.create_merchant("m9", claims=staff("m1"))[0] == 403
    for claims in (user, other):
        assert merchants.merchant("m1", claims)[0] == 403
        assert merchants.create_campaign("m1", cash_spec("c1"), claims)[0] == 403
        for action, body in (
            ("activate", {"budget": 1}),
            ("pause", {}),
            ("end", {}),
            ("versions", cash_spec("c1")),
        ):
            assert merchants.step("m1", "c1", action, body, claims)[0] == 403, action
        assert merchants.redeem("m1", "ABCDEFGHJKLM-500", 9_000, claims)[0] == 403
    assert merchants.merchant("m1", OPERATOR)[0] == 200

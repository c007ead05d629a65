"""Property: racing awards on one campaign never exceed its budget or its limits, and the merchant's
money is conserved: prepaid + budget + paid to users + reserved for coupons + settled always equals what
was funded, before and after the campaign ends (whose return is exactly what was left)."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from reward_ledger import clock
from reward_ledger.campaigns import accounts, lifecycle, merchants
from reward_ledger.campaigns.awards import TriggerFacts, award
from reward_ledger.campaigns.models import ActiveCampaign
from reward_ledger.campaigns.spec import CampaignSpec
from reward_ledger.ledger import IdempotencyKey, Ledger, user_account
from tests.seeds.conftest import run_threads
from tests.seeds.conftest import serialised_moto as serialised_moto

FUNDED = 5_000


def _campaign(
    ledger: Ledger, amount: int, budget: int, coupon: bool, max_awards: int | None
) -> tuple[str, str]:
    merchant, campaign = f"m-{uuid.uuid4().hex[:8]}", f"c-{uuid.uuid4().hex[:8]}"
    key = IdempotencyKey("test", uuid.uuid4().hex)
    merchants.create_merchant(ledger, merchant, "Shop", "operator:test", key)
    merchants.fund_merchant(
        ledger, merchants.MerchantFunded(funding_id=campaign, merchant_id=merchant, amount=FUNDED)
    )
    effect = (
        {"kind": "coupon", "coupon": {"title": "off", "value": amount, "valid_days": 3}}
        if coupon
        else {"kind": "cash", "amount": amount}
    )
    spec = CampaignSpec.model_validate(
        {
            "campaign_id": campaign,
            "name": "p",
            "trigger": {"event": "payment.completed"},
            "effect": effect,
            "limits": {"max_awards": max_awards} if max_awards else {},
        }
    )
    lifecycle.create_campaign(ledger, merchant, spec, "staff", key.derive("create"))
    lifecycle.activate(ledger, merchant, campaign, budget, "staff", key.derive("activate"))
    return merchant, campaign


def _money(ledger: Ledger, merchant: str, campaign: str, users: list[str]) -> dict[str, int]:
    wanted = [
        accounts.prepaid(merchant),
        accounts.budget(campaign),
        accounts.reserved(merchant),
        accounts.settled(merchant),
        *(user_account(u, "cash", "CNY") for u in users),
    ]
    found = ledger.balances(wanted)
    return {
        "prepaid": found[wanted[0]],
        "budget": found[wanted[1]],
        "reserved": found[wanted[2]],
        "users": sum(found[a] for a in wanted[4:]),
        "settled": found[wanted[3]],
    }


@pytest.mark.slow
@settings(
    max_examples=10,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    amount=st.integers(1, 400),
    budget=st.integers(0, FUNDED),
    triggers=st.integers(1, 12),
    coupon=st.booleans(),
    max_awards=st.one_of(st.none(), st.integers(1, 10)),
)
def test_racing_awards_never_exceed_the_budget_and_money_is_conserved(
    ledger: Ledger,
    serialised_moto: None,
    amount: int,
    budget: int,
    triggers: int,
    coupon: bool,
    max_awards: int | None,
) -> None:
    clock.set_now(None)
    merchant, campaign = _campaign(ledger, amount, budget, coupon, max_awards)
    [row] = [r for r in lifecycle.active_campaigns(merchant) if r.campaign_id == campaign]
    users = [f"{campaign}-u{i}" for i in range(triggers)]  # the table lives across examples

    def one(i: int) -> dict:
        facts = TriggerFacts("payment.completed", f"{campaign}-p{i}", users[i], merchant, {"amount": 1})
        return award(ledger, ActiveCampaign.get(row.pk, row.sk), facts, clock.now())

    outcomes = run_threads(triggers, one)
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    paid = sum(1 for o in outcomes if o["status"] == "awarded")
    expected = min(triggers, budget // amount, max_awards or triggers)
    assert paid == expected
    money = _money(ledger, merchant, campaign, users)
    assert money["budget"] == budget - paid * amount >= 0
    assert money["users" if not coupon else "reserved"] == paid * amount
    assert sum(money.values()) == FUNDED
    ended = lifecycle.end(ledger, merchant, campaign, "staff", IdempotencyKey("test", f"end-{campaign}"))
    assert ended.response is not None and ended.response["returned"] == budget - paid * amount
    after = _money(ledger, merchant, campaign, users)
    assert after["budget"] == 0 and sum(after.values()) == FUNDED

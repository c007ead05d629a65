"""Merchant campaigns: DynamoDB calls per award and per checkout redemption, and how a storm of awards on
one campaign spreads over the budget's shards.

* ``award_calls``: :func:`awards.award` for one matching campaign (the award entry: one
  ``TransactWriteItems``); ``evaluate_calls`` adds the Query of the active registry a trigger needs.
* ``redemption_calls``: :func:`vouchers.redeem` of a coupon code at checkout (one transaction, no read).
* ``storm``: ``STORM_AWARDS`` awards on one campaign whose budget and allowance hold twice that; ``hottest_share`` is the largest number of
  transactional writes any single item took over the number of awards, against ``1 / shards`` of the
  budget account (the budget, allowance and awarded accounts are all sharded; the rest is per user).
"""

from __future__ import annotations

import os
import uuid
from typing import Any

from bench.common import CALLS, calls_per_event, moto_ledger_table

STORM_AWARDS = int(os.environ.get("BENCH_MERCHANTS_STORM", "1000"))
EVENTS = 20


def _running(
    ledger: Any, effect: dict[str, Any], budget: int, max_awards: int | None = None
) -> tuple[str, Any]:
    from reward_ledger.campaigns import lifecycle, merchants
    from reward_ledger.campaigns.spec import CampaignSpec
    from reward_ledger.ledger import IdempotencyKey

    merchant, campaign = f"m-{uuid.uuid4().hex[:6]}", f"c-{uuid.uuid4().hex[:6]}"
    key = IdempotencyKey("bench", campaign)
    merchants.create_merchant(ledger, merchant, "Bench shop", "bench", key)
    merchants.fund_merchant(
        ledger, merchants.MerchantFunded(funding_id=campaign, merchant_id=merchant, amount=budget)
    )
    limits = {"max_awards": max_awards} if max_awards else {}
    spec = CampaignSpec.model_validate(
        {
            "campaign_id": campaign,
            "name": "bench",
            "trigger": {"event": "payment.completed"},
            "effect": effect,
            "limits": limits,
        }
    )
    lifecycle.create_campaign(ledger, merchant, spec, "bench", key.derive("c"))
    lifecycle.activate(ledger, merchant, campaign, budget, "bench", key.derive("a"))
    [row] = [r for r in lifecycle.active_campaigns(merchant) if r.campaign_id == campaign]
    return merchant, row


def run() -> dict[str, Any]:
    from reward_ledger import clock
    from reward_ledger.campaigns import accounts, vouchers
    from reward_ledger.campaigns.awards import TriggerFacts, award, evaluate
    from reward_ledger.ledger import IdempotencyKey, Ledger

    with moto_ledger_table():
        ledger = Ledger(sleep=lambda _s: None)
        merchant, row = _running(ledger, {"kind": "cash", "amount": 10}, 100_000, max_awards=10_000)

        def facts(i: int, tag: str) -> TriggerFacts:
            return TriggerFacts("payment.completed", f"{tag}-{i}", f"user-{tag}-{i}", merchant, {"amount": 1})

        award(ledger, row, facts(0, "warm"), clock.now())
        award_calls = calls_per_event(lambda i: award(ledger, row, facts(i, "a"), clock.now()), EVENTS)
        evaluate_calls = calls_per_event(lambda i: evaluate(ledger, facts(i, "e")), EVENTS)

        coupon = {"kind": "coupon", "coupon": {"title": "off", "value": 5, "valid_days": 7}}
        shop, coupon_row = _running(ledger, coupon, 10_000)
        codes = [
            award(ledger, coupon_row, facts(i, "c"), clock.now())["coupon"]["code"] for i in range(EVENTS + 1)
        ]

        def redeem(i: int) -> Any:
            key = IdempotencyKey("bench:redeem", codes[i], {"code": codes[i]})
            return vouchers.redeem(ledger, shop, codes[i], f"o{i}", 100, "bench", key)

        redeem(EVENTS)  # warm-up
        redemption_calls = calls_per_event(redeem, EVENTS)

        _, storm_row = _running(
            ledger, {"kind": "cash", "amount": 1}, 2 * STORM_AWARDS, 2 * STORM_AWARDS
        )  # headroom: the storm measures the steady state, not the last awards draining the shards
        with CALLS.measure() as measured:
            for i in range(STORM_AWARDS):
                award(ledger, storm_row, facts(i, "s"), clock.now())
        hottest_key, hottest = measured.written.most_common(1)[0]
        shards = accounts.budget(storm_row.campaign_id).policy.shards
        left = ledger.balance(accounts.budget(storm_row.campaign_id))
    return {
        "merchants": {
            "award_calls": award_calls,
            "evaluate_calls": evaluate_calls,
            "redemption_calls": redemption_calls,
            "storm": {
                "awards": STORM_AWARDS,
                "transactions": measured.calls["TransactWriteItems"],
                "budget_left": left,
                "budget_shards": shards,
                "hottest_item_writes": hottest,
                "hottest_item": hottest_key,
                "hottest_share": round(hottest / STORM_AWARDS, 3),
                "ideal_share": round(1 / shards, 3),
            },
        }
    }


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))

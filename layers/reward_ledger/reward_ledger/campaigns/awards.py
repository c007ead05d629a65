"""Evaluating a trigger: each matching active campaign pays at most one award, as one ledger entry.

The award's entry is keyed by (campaign, trigger id), so a redelivered event or a retry never pays twice.
In its one ``TransactWriteItems``: the budget debit (a sharded account: never below zero, so racing
triggers cannot spend more than the budget), the user's credit (or the coupon's reservation and items),
one unit from the award allowance (``max_awards``), and the per-user and per-user-per-day counters with
their limits as conditions. An empty budget or a reached limit pays nothing and is an outcome, not an
error: the event's sender is never failed for it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pynamodb.expressions.update import Action

from reward_ledger import clock, points
from reward_ledger.campaigns import accounts, vouchers
from reward_ledger.campaigns.lifecycle import active_campaigns, spec_of
from reward_ledger.campaigns.models import ActiveCampaign, LimitCounter
from reward_ledger.campaigns.spec import (
    CampaignSpec,
    ChallengeTrigger,
    CouponEffect,
    GameTrigger,
    PaymentTrigger,
    PointsEffect,
    PointsExchangeTrigger,
    PurseEffect,
    SeedsPurchaseTrigger,
    StoryChoiceTrigger,
)
from reward_ledger.errors import IdempotencyConflict, InsufficientFunds, LedgerError
from reward_ledger.ledger import EntryRequest, Guard, IdempotencyKey, Ledger, Leg, user_account

AWARD_KIND = "campaign.award"
#: day counters are kept this long (cleanup only: a past day's counter guards nothing)
DAY_COUNTER_TTL = timedelta(days=3)
#: tries after the budget looked dry while a read shows money left (racing awards moved it between shards)
DRY_RETRIES = 4


@dataclass(frozen=True, slots=True)
class TriggerFacts:
    """What happened, in the terms campaigns match on. ``trigger_id`` is the event's own id."""

    event: str
    trigger_id: str
    user_id: str
    merchant_id: str | None = None
    attrs: Mapping[str, Any] = field(default_factory=dict)
    tz: str | None = None


class LimitReached(LedgerError):
    """A per-user limit's condition failed (internal: the award is skipped)."""


def matches(spec: CampaignSpec, facts: TriggerFacts) -> bool:
    trigger, a = spec.trigger, facts.attrs
    if trigger.event != facts.event or isinstance(trigger, SeedsPurchaseTrigger | PointsExchangeTrigger):
        return False
    if isinstance(trigger, PaymentTrigger):
        return (trigger.min_amount is None or int(a.get("amount", 0)) >= trigger.min_amount) and (
            trigger.category is None or a.get("category") == trigger.category
        )
    if isinstance(trigger, GameTrigger):
        return (
            a.get("game_id") == trigger.game_id
            and (trigger.level is None or a.get("level") == trigger.level)
            and (trigger.min_score is None or int(a.get("score", -1)) >= trigger.min_score)
        )
    if isinstance(trigger, StoryChoiceTrigger):
        return a.get("story_id") == trigger.story_id and a.get("choice_id") == trigger.choice_id
    if isinstance(trigger, ChallengeTrigger):
        return a.get("challenge_id") == trigger.challenge_id
    return True  # invite.qualified: every invite qualifies (the campaign's limits bound it)


def _limit(campaign_id: str, user_id: str, sk: str, limit: int, name: str, ttl: datetime | None) -> Guard:
    item = LimitCounter(pk=f"CLIM#{campaign_id}#{user_id}", sk=sk)
    actions: list[Action] = [LimitCounter.used.add(1)]
    if ttl is not None:
        actions.append(LimitCounter.ttl.set(int(ttl.timestamp())))
    condition = LimitCounter.used.does_not_exist() | (LimitCounter.used < limit)
    return Guard.update(item, actions, condition, lambda old: LimitReached(name))


def award_request(
    row: ActiveCampaign, facts: TriggerFacts, now: datetime, terms: points.Terms | None = None
) -> tuple[EntryRequest, dict[str, Any]]:
    """The award entry of one campaign for one trigger (built, not written); ``terms``: the merchant's
    loyalty terms, for a points award (the points are issued by the program, as a lot that expires)."""
    spec, cid, user = spec_of(row), row.campaign_id, facts.user_id
    budget = accounts.budget(cid)
    guards: list[Guard] = []
    outcome: dict[str, Any] = {"campaign_id": cid, "version": int(row.version), "effect": spec.effect.kind}
    if isinstance(spec.effect, PointsEffect):
        assert terms is not None, "a points award needs the merchant's loyalty terms"
        leg, lot = points.grant(user, terms, spec.effect.amount, f"campaign.{cid}.{facts.trigger_id}", now)
        legs, guards = [leg], [lot]
        outcome["points"] = spec.effect.amount
    elif isinstance(spec.effect, CouponEffect):
        leg, issued, coupon = vouchers.issue(
            row.merchant_id, cid, int(row.version), user, spec.effect.coupon, now
        )
        legs, guards, outcome["coupon"] = [leg], issued, coupon
    else:
        book = "purse" if isinstance(spec.effect, PurseEffect) else "cash"
        legs = [Leg(budget, user_account(user, book, accounts.CNY), spec.effect.amount)]
    units = accounts.allowance(cid) if spec.limits.max_awards else accounts.AWARD_ISSUER
    legs.append(Leg(units, accounts.awarded(cid), 1))
    if spec.limits.per_user:
        guards.append(_limit(cid, user, "TOTAL", spec.limits.per_user, "per-user", None))
    if spec.limits.per_user_per_day:
        day = clock.local_day(now, facts.tz).isoformat()
        guards.append(
            _limit(
                cid,
                user,
                f"DAY#{day}",
                spec.limits.per_user_per_day,
                "per-user-per-day",
                now + DAY_COUNTER_TTL,
            )
        )
    idem = IdempotencyKey(f"campaign:{cid}:award", f"{facts.event}:{facts.trigger_id}", {"user_id": user})
    outcome.update(entry_id=idem.entry_id, status="awarded", amount=spec.effect_value())
    request = EntryRequest(
        idempotency=idem,
        kind=AWARD_KIND,
        legs=legs,
        guards=guards,
        metadata={
            "campaign_id": cid,
            "merchant_id": row.merchant_id,
            "version": int(row.version),
            "user_id": user,
            "trigger": facts.event,
            "trigger_id": facts.trigger_id,
        },
        response=outcome,
    )
    return request, outcome


def award(ledger: Ledger, row: ActiveCampaign, facts: TriggerFacts, now: datetime) -> dict[str, Any]:
    """Pay one campaign's award for ``facts``, or say why nothing was paid.

    A budget spread over shards can look dry to one attempt while money is left (a racing award took
    the shards this one had split onto): only a read of the whole account after the refusal decides that
    the budget (or the allowance) is really exhausted.
    """
    skipped = {"campaign_id": row.campaign_id, "status": "skipped"}
    spec = spec_of(row)
    terms = None
    if isinstance(spec.effect, PointsEffect):
        terms = points.program_terms(ledger, row.merchant_id)
        if terms is None:
            return {**skipped, "reason": "no-loyalty-program"}
    audience = spec.audience
    if audience and points.user_tier(ledger, row.merchant_id, facts.user_id, now) not in audience.tiers:
        return {**skipped, "reason": "audience"}
    request, outcome = award_request(row, facts, now, terms)
    for attempt in range(DRY_RETRIES + 1):
        try:
            result = ledger.transfer(request)
        except LimitReached as exc:
            return {**skipped, "reason": exc.detail}
        except InsufficientFunds as exc:
            units = exc.context.get("account") == str(accounts.allowance(row.campaign_id))
            dry = accounts.allowance(row.campaign_id) if units else accounts.budget(row.campaign_id)
            if attempt < DRY_RETRIES and ledger.balance(dry) >= (1 if units else spec.effect_value()):
                continue
            return {**skipped, "reason": "max-awards-reached" if units else "budget-exhausted"}
        except IdempotencyConflict:
            return {**skipped, "reason": "already-awarded"}
        return {**(result.response or outcome), "replayed": result.replayed}
    raise AssertionError("unreachable")  # pragma: no cover


def evaluate(ledger: Ledger, facts: TriggerFacts) -> list[dict[str, Any]]:
    """Every active campaign the trigger matches (one Query of the registry), each awarded at most once."""
    now = clock.now()
    rows = active_campaigns(facts.merchant_id if facts.event == "payment.completed" else None)
    outcomes = []
    for row in rows:
        spec = spec_of(row)
        if spec.runs_at(now) and matches(spec, facts):
            outcomes.append(award(ledger, row, facts, now))
    return outcomes

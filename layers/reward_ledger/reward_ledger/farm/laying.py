"""Laying: a finished meal's egg progress is added once, lazily, whenever the farm is read or used.

Settling a finished meal is one ledger entry keyed by the meal itself, so concurrent readers cannot add it
twice; whole eggs are credited with an egg batch item in the expiry index in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from reward_ledger import clock
from reward_ledger.farm import items
from reward_ledger.farm.config import settings
from reward_ledger.farm.items import (
    BATCH_KIND,
    EGG_ISSUER,
    MAX_REREADS,
    Chicken,
    ChickenMoved,
    ChickenState,
    EggBatch,
    eggs_account,
    partition,
    version_condition,
)
from reward_ledger.ledger import EntryRequest, Guard, IdempotencyKey, Ledger, Leg, expiry_for


@dataclass(frozen=True, slots=True)
class MealCount:
    """What counting a finished meal writes: the chicken's new progress, whole eggs and their batch."""

    idem: IdempotencyKey  # the meal's own key: its batch is named after it, whoever counts the meal
    eggs: int
    actions: list[Any]  # chicken updates (progress, eggs laid); the caller says what ``settled`` becomes
    legs: list[Leg]
    batch: Guard | None


def count_meal(user_id: str, chicken: Chicken) -> MealCount:
    """Counting ``chicken``'s finished meal: settling it (read path) or feeding again (feed path)."""
    rules = settings().chicken
    progress = int(chicken.egg_progress) + rules.progress_per_meal
    eggs, progress = divmod(progress, rules.progress_per_egg)
    laid_before = int(chicken.eggs_laid)
    idem = IdempotencyKey("farm.meal", f"{user_id}|{chicken.meal_started_at}", {})
    actions = [Chicken.egg_progress.set(progress), Chicken.eggs_laid.set(laid_before + eggs)]
    if not eggs:
        return MealCount(idem, 0, actions, [], None)
    laid_at = clock.parse_iso(str(chicken.eating_until))
    batch = _new_batch(user_id, eggs, laid_before, laid_at, idem.entry_id)
    return MealCount(idem, eggs, actions, [Leg(EGG_ISSUER, eggs_account(user_id), eggs)], batch)


def settle(ledger: Ledger, user_id: str) -> ChickenState:
    """Add a finished, not yet counted meal's egg progress (and credit whole eggs); returns the state."""
    for _attempt in range(MAX_REREADS):
        now = clock.now()
        state = items.load(user_id)
        chicken = state.item
        if not state.exists or chicken.settled or (chicken.eating_until or "") > clock.iso(now):
            return state
        meal = count_meal(user_id, chicken)
        idem, eggs, legs = meal.idem, meal.eggs, meal.legs
        guards = [
            Guard.update(
                Chicken(pk=chicken.pk, sk="CHICKEN"),
                [*meal.actions, Chicken.settled.set(True), Chicken.version.set(int(chicken.version) + 1)],
                version_condition(state) & (Chicken.settled == False),  # noqa: E712 - a DynamoDB condition
                lambda _old: ChickenMoved("chicken changed"),
            )
        ]
        if meal.batch is not None:
            guards.append(meal.batch)
        try:
            ledger.transfer(
                EntryRequest(
                    idempotency=idem,
                    kind="farm.meal",
                    legs=legs,
                    guards=guards,
                    metadata={"user_id": user_id, "eggs": eggs, "meal_started_at": chicken.meal_started_at},
                    response={"entry_id": idem.entry_id, "eggs": eggs},
                )
            )
        except ChickenMoved:
            continue
    return items.load(user_id)


def _new_batch(user_id: str, count: int, laid_before: int, laid_at: datetime, entry_id: str) -> Guard:
    sk = f"EGGS#{laid_at.strftime('%Y%m%dT%H%M%SZ')}-{entry_id[1:13]}"
    expires = laid_at + timedelta(days=settings().eggs.expire_after_days)
    expiry = expiry_for(f"{partition(user_id)}|{sk}", expires, BATCH_KIND)
    batch = EggBatch(
        pk=partition(user_id),
        sk=sk,
        owner=user_id,
        eggs=count,
        laid_before=laid_before,
        laid_at=clock.iso(laid_at),
        state="open",
        exp_bucket=expiry.bucket,
        expires_at=expiry.at,
        exp_kind=expiry.kind,
    )
    return Guard.put(batch, EggBatch.pk.does_not_exist(), lambda _old: ChickenMoved("batch exists"))

"""Feeding: a meal for the user's own or a mutual friend's chicken, and the farm's view."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any, Literal

from pydantic import Field

from reward_ledger import clock
from reward_ledger.errors import AlreadyDone, KeptChanging, LedgerError
from reward_ledger.farm.config import settings
from reward_ledger.farm.items import (
    CONSUMED,
    MAX_REREADS,
    Chicken,
    ChickenMoved,
    eggs_account,
    feed_account,
    partition,
)
from reward_ledger.farm.laying import count_meal, settle
from reward_ledger.friends import mutual_guard
from reward_ledger.ledger import EntryRequest, EntryResult, Guard, IdempotencyKey, Ledger, Leg
from reward_ledger.reminders.core import new_reminder, schedule_guard
from reward_ledger.reminders.core import settings as reminder_settings
from reward_ledger.replies import Reply

HUNGRY_KIND = "chicken-hungry"


class MealToCount(LedgerError):
    """The chicken has a finished meal not counted yet: the feed counts it in its own transaction."""

    def __init__(self, chicken: Chicken) -> None:
        super().__init__("a finished meal is not counted yet")
        self.chicken = chicken


def _refuse_feeding(now_iso: str) -> Any:
    def refuse(old: Mapping[str, Any] | None) -> LedgerError:
        eating = ((old or {}).get("eating_until") or {}).get("S", "")
        if eating > now_iso:
            return AlreadyDone(f"the chicken is still eating until {eating}")
        if old and not old.get("settled", {}).get("BOOL", True):
            return MealToCount(Chicken.from_raw_data(dict(old)))
        return ChickenMoved("chicken changed")

    return refuse


def feed(ledger: Ledger, feeder: str, owner: str, idem: IdempotencyKey) -> EntryResult:
    """Start a meal for ``owner``'s chicken from ``feeder``'s feed (a friend's needs mutual friendship).

    One transaction and no read: it first assumes the chicken is new or has its last meal counted (as
    after ``GET /v1/farm``); if a finished meal is still uncounted, the refusal's old image of the chicken
    says so and the next transaction counts that meal (progress, a whole egg and its batch) and starts the
    new one together. Refused with 409 already-done while the chicken is still eating; 422
    insufficient-funds without feed.
    """
    rules = settings().chicken
    counted: Chicken | None = None  # the chicken as the last refusal showed it
    for _attempt in range(MAX_REREADS):
        now = clock.now()
        now_iso = clock.iso(now)
        until = clock.iso(now + timedelta(minutes=rules.meal_minutes))
        start = [
            Chicken.meal_started_at.set(now_iso),
            Chicken.eating_until.set(until),
            Chicken.settled.set(False),
            Chicken.last_fed_by.set(feeder),
        ]
        legs = [Leg(feed_account(feeder), CONSUMED, rules.feed_per_meal)]
        extra: list[Guard] = []
        if counted is None:  # new, or its last meal counted and over
            over = Chicken.eating_until.does_not_exist() | (Chicken.eating_until <= now_iso)
            condition = Chicken.pk.does_not_exist() | ((Chicken.settled == True) & over)  # noqa: E712
            actions = [*start, Chicken.version.add(1)]
        else:
            meal = count_meal(owner, counted)
            condition = (Chicken.version == int(counted.version)) & (Chicken.settled == False)  # noqa: E712
            condition &= Chicken.eating_until <= now_iso
            actions = [*meal.actions, *start, Chicken.version.set(int(counted.version) + 1)]
            legs += meal.legs
            extra = [meal.batch] if meal.batch is not None else []
        guards = [
            Guard.update(
                Chicken(pk=partition(owner), sk="CHICKEN"), actions, condition, _refuse_feeding(now_iso)
            ),
            *extra,
        ]
        if feeder != owner:
            guards.insert(0, mutual_guard(feeder, owner))
        guards.append(_hungry_reminder(owner, now_iso, until))
        try:
            return ledger.transfer(
                EntryRequest(
                    idempotency=idem,
                    kind="farm.feed" if feeder == owner else "farm.feed.friend",
                    legs=legs,
                    guards=guards,
                    metadata={"feeder": feeder, "owner": owner},
                    response={"entry_id": idem.entry_id, "eating_until": until, "feed": rules.feed_per_meal},
                )
            )
        except MealToCount as uncounted:
            counted = uncounted.chicken
        except ChickenMoved:
            counted = None
    raise KeptChanging("the chicken keeps changing; try again")


def _hungry_reminder(owner: str, meal_started_at: str, until: str) -> Guard:
    """The owner's ``chicken-hungry`` reminder for this meal (its subject), due once the chicken has been
    hungry for a while; the finder drops it if the chicken was fed again meanwhile (:func:`still_hungry`)."""
    wait = timedelta(minutes=reminder_settings().chicken_hungry_after_minutes)
    due = clock.parse_iso(until) + wait
    return schedule_guard(new_reminder(owner, HUNGRY_KIND, meal_started_at, due, {"hungry_since": until}))


def still_hungry(user_id: str, meal_started_at: str) -> bool:
    """Whether the meal that scheduled a reminder is still the chicken's last one (no meal since)."""
    try:
        chicken = Chicken.get(partition(user_id), "CHICKEN")
    except Chicken.DoesNotExist:
        return False
    return chicken.meal_started_at == meal_started_at


class FriendChicken(Reply):
    """A friend's chicken: eating until, or hungry since."""

    friend_id: str = Field(description="the friend whose chicken this is", examples=["bob"])
    state: Literal["hungry", "eating"]
    eating_until: str | None = Field(description="ISO-8601 UTC end of the current meal; null when hungry")
    hungry_since: str | None = Field(
        description="ISO-8601 UTC end of the last meal; null: eating or never fed"
    )


def chicken_view(ledger: Ledger, user_id: str) -> FriendChicken:
    """What a friend sees of ``user_id``'s chicken: eating until, or hungry since (``None``: never fed)."""
    chicken = settle(ledger, user_id).item
    until = chicken.eating_until
    eating = bool(until) and str(until) > clock.iso(clock.now())
    return FriendChicken(
        friend_id=user_id,
        state="eating" if eating else "hungry",
        eating_until=until if eating else None,
        hungry_since=None if eating or not until else until,
    )


class ChickenView(Reply):
    state: Literal["hungry", "eating"]
    eating_until: str | None = Field(description="ISO-8601 UTC end of the current meal; null when hungry")
    egg_progress: int = Field(description="progress towards the next egg", examples=[40])
    progress_per_egg: int = Field(description="progress that lays one egg", examples=[100])
    eggs_laid: int = Field(description="eggs laid so far (counts)")


class FarmView(Reply):
    """Feed, eggs and the chicken's state."""

    feed: int = Field(description="grams of feed", examples=[360])
    eggs: int = Field(description="eggs (counts)", examples=[2])
    chicken: ChickenView


def farm_view(ledger: Ledger, user_id: str) -> FarmView:
    state = settle(ledger, user_id)
    chicken = state.item
    now_iso = clock.iso(clock.now())
    eating = bool(chicken.eating_until) and str(chicken.eating_until) > now_iso
    balances = ledger.balances([feed_account(user_id), eggs_account(user_id)])
    return FarmView.model_validate(
        {
            "feed": balances[feed_account(user_id)],
            "eggs": balances[eggs_account(user_id)],
            "chicken": {
                "state": "eating" if eating else "hungry",
                "eating_until": chicken.eating_until if eating else None,
                "egg_progress": int(chicken.egg_progress),
                "progress_per_egg": settings().chicken.progress_per_egg,
                "eggs_laid": int(chicken.eggs_laid),
            },
        }
    )

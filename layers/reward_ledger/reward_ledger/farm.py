"""Farm: a chicken eats meals of feed, finished meals add egg progress, whole eggs are credited, donated to
charity projects, and expire when not donated in time. Rules and decisions: docs/forest-and-farm.md.

The chicken is one item (``pk=FARM#<user>``, ``sk=CHICKEN``) holding the current meal's end
(``eating_until``), whether that meal's progress was added yet (``settled``), the egg progress, the count
of eggs ever laid and a version. Nothing runs on a timer: the state is computed lazily from the meal
times whenever the farm is read, fed or donated from (:func:`settle`). Settling a finished meal is one
ledger entry keyed by the meal itself, so concurrent readers cannot add it twice:

* feed: ``user:<feeder>/feed/FEED`` -> ``system/consumed/FEED`` plus the chicken guard (hungry,
  unchanged) and, for a friend's chicken, the friendship check, one transaction;
* laying: ``external:farm/issued/EGG`` -> ``user:<owner>/eggs/EGG`` plus an egg batch item in the expiry
  index (``exp_kind = "egg_batch"``) that remembers its FIFO position (``laid_before``);
* expiry (sweep): what is left of a batch (FIFO: donations use the oldest eggs first) ->
  ``system/expired/EGG``, the batch guarded (still open) and the chicken checked unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from pydantic import BaseModel, PositiveInt
from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from reward_ledger import charity, clock, sweep
from reward_ledger.config import StrictModel, load_model
from reward_ledger.errors import AlreadyDone, InsufficientFunds, LedgerError
from reward_ledger.friends import mutual_guard
from reward_ledger.ledger import (
    Account,
    EntryRequest,
    EntryResult,
    Guard,
    IdempotencyKey,
    Ledger,
    Leg,
    expired_account,
    expiry_for,
    external_account,
    register_model,
    system_account,
    unconditional,
    user_account,
)
from reward_ledger.ledger.models import LedgerTableMeta

BATCH_KIND = "egg_batch"
EGG_ISSUER = external_account("farm", "EGG")
CONSUMED = system_account("consumed", "FEED")
EXPIRED = expired_account("EGG")


class ChickenSettings(StrictModel):
    feed_per_meal: PositiveInt
    meal_minutes: PositiveInt
    progress_per_meal: PositiveInt
    progress_per_egg: PositiveInt


class EggSettings(StrictModel):
    expire_after_days: PositiveInt
    settled_ttl_days: PositiveInt


class FarmSettings(BaseModel):
    chicken: ChickenSettings
    eggs: EggSettings


@cache
def settings() -> FarmSettings:
    return load_model("farm", FarmSettings)


def feed_account(user_id: str) -> Account:
    return user_account(user_id, "feed", "FEED")


def eggs_account(user_id: str) -> Account:
    return user_account(user_id, "eggs", "EGG")


@register_model
class Chicken(Model):
    class Meta(LedgerTableMeta):
        pass

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default="CHICKEN")
    meal_started_at = UnicodeAttribute(null=True)
    eating_until = UnicodeAttribute(null=True)
    settled = BooleanAttribute(default=True)
    egg_progress = NumberAttribute(default=0)
    eggs_laid = NumberAttribute(default=0)
    eggs_out = NumberAttribute(null=True)  # eggs that left: donated or expired (the FIFO cursor)
    version = NumberAttribute(default=0)
    last_fed_by = UnicodeAttribute(null=True)


@register_model
class EggBatch(Model):
    """Eggs laid by one meal: ``eggs`` eggs at FIFO positions ``laid_before .. laid_before + eggs``."""

    class Meta(LedgerTableMeta):
        pass

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    owner = UnicodeAttribute()
    eggs = NumberAttribute()
    laid_before = NumberAttribute()
    laid_at = UnicodeAttribute()
    state = UnicodeAttribute(default="open")  # open -> expired (donated eggs leave through FIFO counts)
    expired_count = NumberAttribute(null=True)
    settled_by = UnicodeAttribute(null=True)
    exp_bucket = UnicodeAttribute(null=True)
    expires_at = UnicodeAttribute(null=True)
    exp_kind = UnicodeAttribute(null=True)
    ttl = NumberAttribute(null=True)


def partition(user_id: str) -> str:
    return f"FARM#{user_id}"


class _Moved(LedgerError):
    """The chicken changed between the read and the write: read again."""


@dataclass(slots=True)
class ChickenState:
    item: Chicken
    exists: bool


def _load(user_id: str) -> ChickenState:
    try:
        return ChickenState(Chicken.get(partition(user_id), "CHICKEN", consistent_read=True), True)
    except Chicken.DoesNotExist:
        return ChickenState(Chicken(pk=partition(user_id), sk="CHICKEN"), False)


def _version_condition(state: ChickenState) -> Any:
    if not state.exists:
        return Chicken.pk.does_not_exist()
    return Chicken.version == int(state.item.version)


def settle(ledger: Ledger, user_id: str) -> ChickenState:
    """Add a finished, not yet counted meal's egg progress (and credit whole eggs); returns the state."""
    rules = settings().chicken
    for _attempt in range(4):
        now = clock.now()
        state = _load(user_id)
        chicken = state.item
        if not state.exists or chicken.settled or (chicken.eating_until or "") > clock.iso(now):
            return state
        progress = int(chicken.egg_progress) + rules.progress_per_meal
        eggs, progress = divmod(progress, rules.progress_per_egg)
        laid_before = int(chicken.eggs_laid)
        laid_at = clock.parse_iso(str(chicken.eating_until))
        idem = IdempotencyKey("farm.meal", f"{user_id}|{chicken.meal_started_at}", {})
        guards = [
            Guard.update(
                Chicken(pk=chicken.pk, sk="CHICKEN"),
                [
                    Chicken.settled.set(True),
                    Chicken.egg_progress.set(progress),
                    Chicken.eggs_laid.set(laid_before + eggs),
                    Chicken.version.set(int(chicken.version) + 1),
                ],
                _version_condition(state) & (Chicken.settled == False),  # noqa: E712 - a DynamoDB condition
                lambda _old: _Moved("chicken changed"),
            )
        ]
        legs = []
        if eggs:
            legs.append(Leg(EGG_ISSUER, eggs_account(user_id), eggs))
            guards.append(_new_batch(user_id, eggs, laid_before, laid_at, idem.entry_id))
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
        except _Moved:
            continue
    return _load(user_id)


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
    return Guard.put(batch, EggBatch.pk.does_not_exist(), lambda _old: _Moved("batch exists"))


def _refuse_feeding(now_iso: str) -> Any:
    def refuse(old: Mapping[str, Any] | None) -> LedgerError:
        eating = ((old or {}).get("eating_until") or {}).get("S", "")
        if eating > now_iso:
            return AlreadyDone(f"the chicken is still eating until {eating}")
        return _Moved("chicken changed")

    return refuse


def feed(ledger: Ledger, feeder: str, owner: str, idem: IdempotencyKey) -> EntryResult:
    """Start a meal for ``owner``'s chicken from ``feeder``'s feed (a friend's needs mutual friendship).

    Refused with 409 already-done while the chicken is still eating; 422 insufficient-funds without feed.
    """
    rules = settings().chicken
    for _attempt in range(4):
        state = settle(ledger, owner)
        now = clock.now()
        now_iso = clock.iso(now)
        until = clock.iso(now + timedelta(minutes=rules.meal_minutes))

        condition = (
            _version_condition(state)
            if not state.exists
            else _version_condition(state) & (Chicken.settled == True)  # noqa: E712
        )
        guards = [
            Guard.update(
                Chicken(pk=partition(owner), sk="CHICKEN"),
                [
                    Chicken.meal_started_at.set(now_iso),
                    Chicken.eating_until.set(until),
                    Chicken.settled.set(False),
                    Chicken.version.set(int(state.item.version) + 1),
                    Chicken.last_fed_by.set(feeder),
                ],
                condition,
                _refuse_feeding(now_iso),
            )
        ]
        if feeder != owner:
            guards.insert(0, mutual_guard(feeder, owner))
        try:
            return ledger.transfer(
                EntryRequest(
                    idempotency=idem,
                    kind="farm.feed" if feeder == owner else "farm.feed.friend",
                    legs=[Leg(feed_account(feeder), CONSUMED, rules.feed_per_meal)],
                    guards=guards,
                    metadata={"feeder": feeder, "owner": owner},
                    response={"entry_id": idem.entry_id, "eating_until": until, "feed": rules.feed_per_meal},
                )
            )
        except _Moved:
            continue
    raise AlreadyDone("the chicken keeps changing; try again")


def farm_view(ledger: Ledger, user_id: str) -> dict[str, Any]:
    state = settle(ledger, user_id)
    chicken = state.item
    now_iso = clock.iso(clock.now())
    eating = bool(chicken.eating_until) and str(chicken.eating_until) > now_iso
    balances = ledger.balances([feed_account(user_id), eggs_account(user_id)])
    return {
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


def donate(ledger: Ledger, user_id: str, project_id: str, eggs: int, idem: IdempotencyKey) -> EntryResult:
    """Donate eggs to a pooled EGG project; never past its target.

    The entry and the target guard are charity's (``charity.donation_guard``), plus the chicken's FIFO
    cursor (``eggs_out``) advanced in the same transaction, which egg expiry relies on.

    Optimistic: the eggs already credited usually cover the gift, so the transaction goes first (one
    DynamoDB call). Only when it is refused for want of eggs is a finished, uncounted meal settled (which
    may credit eggs) and the same request tried once more, which is refused in turn if still short; a
    refused transaction wrote nothing, so the second try is still the key's first use.
    """
    project = charity.require_project(project_id, "EGG")
    guard = charity.donation_guard(project, eggs)
    cursor = Guard.update(
        Chicken(pk=partition(user_id), sk="CHICKEN"),
        [Chicken.eggs_out.add(eggs)],
        None,
        unconditional,
    )
    request = EntryRequest(
        idempotency=idem,
        kind="charity.donation.egg",
        legs=[Leg(eggs_account(user_id), charity.pool_account(project), eggs)],
        guards=[guard, cursor],
        metadata={"project_id": project_id, "user_id": user_id},
        response={"entry_id": idem.entry_id},
    )
    try:
        return ledger.transfer(request)
    except InsufficientFunds:
        settle(ledger, user_id)  # a finished meal may lay the missing eggs; if not, this try refuses too
    return ledger.transfer(request)


# ---------------------------------------------------------------------------------------------- expiry
def _remaining(batch: EggBatch, eggs_out: int) -> int:
    """Eggs of ``batch`` still held, FIFO: every egg that left (donated, expired) was the oldest one."""
    return max(0, min(int(batch.eggs), int(batch.laid_before) + int(batch.eggs) - eggs_out))


def expire_batches(ledger: Ledger, items: Sequence[Mapping[str, Any]]) -> int:
    """Sweep expirer of ``egg_batch`` items: what is left of each batch -> ``system/expired/EGG``.

    What is left follows from the chicken's counters alone (``eggs_out``, the FIFO cursor), and the
    chicken is updated with the condition that the cursor did not move since the read: a donation or a
    laying in between makes the expirer read again, so the count is exact.
    """
    expired = 0
    for raw in items:
        batch = EggBatch.from_raw_data(dict(raw))
        if batch.state != "open":
            continue
        for _attempt in range(4):
            now = clock.now()
            chicken = _load(str(batch.owner)).item
            out = int(chicken.eggs_out or 0)
            left = _remaining(batch, out)
            idem = IdempotencyKey("expiry:egg_batch", f"{batch.pk}|{batch.sk}", {})
            unchanged = (
                Chicken.eggs_out == out if chicken.eggs_out is not None else Chicken.eggs_out.does_not_exist()
            )
            guards = [
                Guard.update(
                    Chicken(pk=chicken.pk, sk="CHICKEN"),
                    [Chicken.eggs_out.set(out + left)],
                    unchanged & (Chicken.eggs_laid == int(chicken.eggs_laid)),
                    lambda _old: _Moved("chicken changed"),
                ),
                Guard.update(
                    EggBatch(pk=batch.pk, sk=batch.sk),
                    [
                        EggBatch.state.set("expired"),
                        EggBatch.expired_count.set(left),
                        EggBatch.settled_by.set(idem.entry_id),
                        EggBatch.exp_bucket.remove(),
                        EggBatch.exp_kind.remove(),
                        EggBatch.ttl.set(
                            int((now + timedelta(days=settings().eggs.settled_ttl_days)).timestamp())
                        ),
                    ],
                    EggBatch.state == "open",
                    lambda _old: AlreadyDone("batch already settled"),
                ),
            ]
            try:
                result = ledger.transfer(
                    EntryRequest(
                        idempotency=idem,
                        kind="farm.eggs.expiry",
                        legs=[Leg(eggs_account(str(batch.owner)), EXPIRED, left)] if left else [],
                        guards=guards,
                        metadata={"user_id": batch.owner, "batch": batch.sk, "eggs": left},
                        response={"entry_id": idem.entry_id, "eggs": left},
                    )
                )
            except _Moved:
                continue
            except AlreadyDone:
                break
            expired += 0 if result.replayed else 1
            break
    return expired


sweep.register_expirer(BATCH_KIND, expire_batches)

"""Paying a game result: the reward table's amount from the house budget, clamped to the user's daily
cap, with the session closed in the same transaction.

Happy path, one ``TransactWriteItems`` (no read): entry header, house shard, the user's ``cash``, the
session (open -> closed), the daily counter (``earned <= cap - granted`` and
``played_ms <= reminder - duration``), the rate window counter and the device's account set.

Sponsors are not paid here: a brand boosting a game (or a level of it) runs a ``game.result`` campaign,
paid from its own budget as a follow-up entry once this one committed (the publisher derives the
``game.result`` event from this entry's header; docs/merchants.md). ``sponsored`` stays in the answer
and is 0: no part of this entry is a sponsor's money.

Clamping is optimistic: the full amount is tried first; when the daily counter's condition fails, its
old image (``ALL_OLD``) tells what was earned and played today, and the result is written again with the
remainder (a bounded number of attempts, concurrent results of the same user may race). Other refusals
also come back as old images and turn into another attempt: a failed rate/device/duration condition
makes the result held.

The result is judged (plausibility, reward table) by the catalog version its session was opened under,
which the session id names; a game suspended since still pays the sessions it opened before (they were
issued while it was approved and expire within ``session_ttl_seconds``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from pynamodb.attributes import NumberAttribute, UnicodeAttribute

from reward_ledger import clock
from reward_ledger.errors import (
    DailyCapReached,
    LedgerError,
    NotFound,
    RetriesExhausted,
)
from reward_ledger.games import review
from reward_ledger.games.antifraud import (
    DeviceShared,
    RateExceeded,
    device_guard,
    implausible,
    rate_guard,
)
from reward_ledger.games.catalog import config
from reward_ledger.games.sessions import TooFast, game_of, level_of, session_guard, verify_signature
from reward_ledger.ledger import (
    Account,
    EntryRequest,
    EntryResult,
    Guard,
    IdempotencyKey,
    Ledger,
    Leg,
    expiry_for,
    external_account,
    user_account,
)
from reward_ledger.ledger.models import LedgerTableMeta
from reward_ledger.ledger.table import LedgerModel

RESULT_KIND = "games.result"
MAX_ATTEMPTS = 6


class DailyPlay(LedgerModel):
    """``pk=GDAY#<user>``, ``sk=<local day>``: what the user earned and played that day."""

    class Meta(LedgerTableMeta):
        pass

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    earned = NumberAttribute(default=0)
    played_ms = NumberAttribute(default=0)
    results = NumberAttribute(default=0)
    ttl = NumberAttribute(null=True)


class CounterRefused(LedgerError):
    """The daily counter's condition failed; carries what the day already holds (internal)."""

    def __init__(self, earned: int, played_ms: int) -> None:
        super().__init__("daily counter condition failed", earned=earned, played_ms=played_ms)
        self.earned = earned
        self.played_ms = played_ms


def _number(old: Mapping[str, Any] | None, name: str) -> int:
    raw = (old or {}).get(name, {}).get("N")
    return int(raw) if raw is not None else 0


def cash_account(user_id: str) -> Account:
    return user_account(user_id, "cash", "CNY")


def daily_guard(
    user_id: str, day: str, granted: int, duration_ms: int, *, watch_reminder: bool, now: datetime
) -> Guard:
    settings = config().rewards
    item = DailyPlay(pk=f"GDAY#{user_id}", sk=day)
    condition = DailyPlay.earned.does_not_exist() | (DailyPlay.earned <= settings.daily_cap - granted)
    if watch_reminder:
        reminder_ms = settings.daily_reminder_minutes * 60_000
        condition &= DailyPlay.played_ms.does_not_exist() | (DailyPlay.played_ms <= reminder_ms - duration_ms)

    def refused(old: Mapping[str, Any] | None) -> LedgerError:
        return CounterRefused(_number(old, "earned"), _number(old, "played_ms"))

    actions = [
        DailyPlay.earned.add(granted),
        DailyPlay.played_ms.add(duration_ms),
        DailyPlay.results.add(1),
        DailyPlay.ttl.set(int((now + timedelta(days=60)).timestamp())),
    ]
    return Guard.update(item, actions, condition, refused)


@dataclass(slots=True)
class _Plan:
    remaining: int | None = None  # None: unknown, try the full amount
    watch_reminder: bool = True
    past_reminder: bool = False
    reasons: list[str] = field(default_factory=list)
    check_elapsed: bool = True
    enforce_rate: bool = True
    check_device: bool = True


@dataclass(frozen=True, slots=True)
class ResultInput:
    user_id: str
    session_id: str
    score: int
    duration_ms: int
    signature: str
    device_id: str | None
    tz: str | None


def submit_result(ledger: Ledger, result: ResultInput, idem: IdempotencyKey) -> EntryResult:
    """Check, then pay or hold one game result; exactly once per idempotency key and per session."""
    found = game_of(result.session_id)
    verify_signature(found, result.session_id, result.score, result.duration_ms, result.signature)
    settings = config().rewards
    now = clock.now()
    day = clock.local_day(now, result.tz).isoformat()
    reminder_ms = settings.daily_reminder_minutes * 60_000
    plan = _Plan()
    if not result.device_id and config().antifraud.hold_without_device:
        plan.reasons.append("no-device")
    if result.duration_ms > reminder_ms:
        plan.past_reminder, plan.watch_reminder = True, False
    cash = cash_account(result.user_id)
    eid = idem.entry_id
    for _ in range(MAX_ATTEMPTS):
        requested = found.reward_for(result.score)
        reasons = implausible(found, result.score, result.duration_ms) + plan.reasons
        granted = requested if plan.remaining is None else min(requested, plan.remaining)
        if requested > 0 and granted <= 0:
            raise DailyCapReached(f"the daily cap of {settings.daily_cap} fen is reached; come back tomorrow")
        legs = [Leg(settings.house, cash, granted)] if granted else []
        guards = [
            session_guard(
                result.session_id,
                result.user_id,
                now,
                result.duration_ms,
                check_elapsed=plan.check_elapsed,
                closed_by=eid,
            ),
            daily_guard(
                result.user_id, day, granted, result.duration_ms, watch_reminder=plan.watch_reminder, now=now
            ),
            rate_guard(result.user_id, now, enforce=plan.enforce_rate),
        ]
        if result.device_id and plan.check_device:
            guards.append(device_guard(result.device_id, result.user_id))
        held = bool(reasons)
        response = {
            "entry_id": eid,
            "status": "held" if held else "credited",
            "requested": requested,
            "granted": granted,
            "sponsored": 0,
            "responsible_play": {
                "past_daily_reminder": plan.past_reminder,
                "daily_reminder_minutes": settings.daily_reminder_minutes,
            },
        }
        metadata: dict[str, Any] = {
            "user_id": result.user_id,
            "day": day,  # the local day whose cap counter the grant was counted on (a reversal gives it back)
            "game_id": found.game_id,
            "game_version": found.version,  # the catalog version that judged and paid it
            "level": level_of(result.session_id),
            "session_id": result.session_id,
            "score": result.score,
            "duration_ms": result.duration_ms,
            "device_id": result.device_id,
            "requested": requested,
            "granted": granted,
            "sponsored": 0,
            "suspect": reasons,
        }
        review_by = now + timedelta(hours=settings.held_review_hours)
        if held:  # listed for the operators in the same transaction, unlisted by whoever resolves it
            metadata["review"] = review.review_key(eid, now)
            guards.append(review.listed(eid, now, review_by, metadata))
        request = EntryRequest(
            idempotency=idem,
            kind=RESULT_KIND,
            legs=legs,
            guards=guards,
            metadata=metadata,
            response=response,
        )
        try:
            if held:
                return ledger.hold(request, expiry=expiry_for(eid, review_by), on_timeout="void")
            return ledger.transfer(request)
        except CounterRefused as refused:
            plan.remaining = settings.daily_cap - refused.earned
            if refused.played_ms + result.duration_ms > reminder_ms:
                plan.past_reminder, plan.watch_reminder = True, False
        except TooFast:
            plan.reasons.append("duration-exceeds-session")
            plan.check_elapsed = False
        except RateExceeded:
            plan.reasons.append("rate")
            plan.enforce_rate = False
        except DeviceShared:
            plan.reasons.append("shared-device")
            plan.check_device = False

    raise RetriesExhausted("the result could not be written; retry with the same Idempotency-Key")


# ---------------------------------------------------------------------- held rewards
def review_held(
    ledger: Ledger, entry_id: str, action: Literal["post", "void"], *, actor: str, note: str = ""
) -> EntryResult:
    """An operator approves (post: to the user's cash) or rejects (void: back to the budgets) a held
    result. The resolving entry records the actor and note: the audit trail."""
    header = ledger.entry(entry_id)
    if header is None or header.kind != RESULT_KIND or header.pending is None:
        raise NotFound(f"no held game reward {entry_id}")
    return ledger.resolve(entry_id, action, actor=actor, note=note)


# ---------------------------------------------------------------------- the house budget
def fund_budget(
    ledger: Ledger, account: Account, amount: int, funding_id: str, *, source: str
) -> EntryResult:
    """Fund a budget from ``external:<source>``, spread evenly over its shards so results can draw
    from any shard. Idempotent by ``funding_id``."""
    shards = account.policy.shards
    issuer = external_account(source, account.asset)
    per, extra = divmod(amount, shards)
    legs = [
        Leg(issuer, account, per + (1 if shard < extra else 0), credit_shard=shard)
        for shard in range(shards)
        if per + (1 if shard < extra else 0) > 0
    ]
    idem = IdempotencyKey(
        "games:budget", funding_id, {"account": str(account), "amount": amount, "source": source}
    )
    return ledger.transfer(
        EntryRequest(
            idempotency=idem,
            kind="games.budget.funded",
            legs=legs,
            metadata={"account": str(account), "source": source, "funding_id": funding_id},
            response={"entry_id": idem.entry_id, "amount": amount},
        )
    )


def seed_budgets(ledger: Ledger, *, house: int, tag: str = "seed") -> None:
    """Fund the house budget (tests, local stack, bench); sponsors fund their own campaigns."""
    if house:
        fund_budget(ledger, config().rewards.house, house, f"{tag}:house", source="house")

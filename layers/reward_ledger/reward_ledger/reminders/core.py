"""Scheduling reminders (a conditional put: at most one per (user, kind, subject)) and delivering due ones.

Delivery is a guarded update of the reminder (``state == scheduled``): ``sent`` when the kind is not
muted and the user's local time is outside quiet hours, ``muted`` when muted, or a later due time (the
end of the quiet hours, a new DueIndex position) otherwise. Concurrent finders therefore deliver a
reminder once; the stream publishes it after the update committed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from functools import cache
from typing import Any, Literal

from pydantic import PositiveInt
from pynamodb.exceptions import PutError, UpdateError
from pynamodb.expressions.update import Action

from reward_ledger import clock
from reward_ledger.config import StrictModel, load_model
from reward_ledger.errors import LedgerError
from reward_ledger.ledger import Guard
from reward_ledger.reminders.models import Reminder, ReminderPrefs, partition, reminder_id


class ReminderSettings(StrictModel):
    due_shards: PositiveInt
    lookback_days: int
    page_size: PositiveInt
    settled_ttl_days: PositiveInt
    oxygen_window_minutes: PositiveInt
    chicken_hungry_after_minutes: PositiveInt


@cache
def settings() -> ReminderSettings:
    return load_model("reminders", ReminderSettings)


def _bucket(item_key: str, at: datetime) -> str:
    shard = int.from_bytes(hashlib.sha256(item_key.encode()).digest()[:4], "big") % settings().due_shards
    return f"{at.astimezone(clock.zone('UTC')).date().isoformat()}#{shard}"


def _ttl(now: datetime) -> int:
    return int((now + timedelta(days=settings().settled_ttl_days)).timestamp())


def new_reminder(
    user_id: str, kind: str, subject: str, due_at: datetime, data: dict[str, Any] | None = None
) -> Reminder:
    """A scheduled reminder, in the DueIndex at ``due_at``."""
    sk = f"R#{kind}#{subject}"
    return Reminder(
        pk=partition(user_id),
        sk=sk,
        reminder_id=reminder_id(user_id, kind, subject),
        user_id=user_id,
        reminder=kind,
        subject=subject,
        state="scheduled",
        due_at=clock.iso(due_at),
        data=data or {},
        created_at=clock.iso(clock.now()),
        due_bucket=_bucket(f"{partition(user_id)}|{sk}", due_at),
        due_index_at=clock.iso(due_at),
        ttl=_ttl(due_at),
    )


def schedule(reminder: Reminder) -> bool:
    """Store ``reminder`` unless one of its (user, kind, subject) exists; whether it was new."""
    try:
        reminder.save(condition=Reminder.pk.does_not_exist())
    except PutError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


class _Exists(LedgerError):
    """Never raised to a client: the reminder guard is unconditional on purpose (see schedule_guard)."""


def schedule_guard(reminder: Reminder) -> Guard:
    """The reminder as a guard of another transaction (a nudge): written with it, or not at all.

    The caller's own guard (the nudge marker) already makes it once per subject, so the put is plain.
    """
    return Guard.put(reminder, None, lambda _old: _Exists("reminder exists"))


# ---------------------------------------------------------------------------------------------- prefs
@dataclass(frozen=True, slots=True)
class Prefs:
    muted: frozenset[str] = frozenset()
    quiet_start: str | None = None  # "HH:MM" local
    quiet_end: str | None = None
    zone: str | None = None

    def view(self) -> dict[str, Any]:
        quiet = {"start": self.quiet_start, "end": self.quiet_end} if self.quiet_start else None
        return {
            "muted": sorted(self.muted),
            "quiet_hours": quiet,
            "timezone": self.zone or clock.zone().key,
        }


def _prefs_of(item: ReminderPrefs | None) -> Prefs:
    if item is None:
        return Prefs()
    return Prefs(frozenset(item.muted or ()), item.quiet_start, item.quiet_end, item.zone)


def get_prefs(user_id: str) -> Prefs:
    try:
        return _prefs_of(ReminderPrefs.get(partition(user_id), "PREFS"))
    except ReminderPrefs.DoesNotExist:
        return Prefs()


def put_prefs(user_id: str, prefs: Prefs) -> Prefs:
    ReminderPrefs(
        pk=partition(user_id),
        sk="PREFS",
        muted=set(prefs.muted) or None,
        quiet_start=prefs.quiet_start,
        quiet_end=prefs.quiet_end,
        zone=prefs.zone,
        updated_at=clock.iso(clock.now()),
    ).save()
    return prefs


def _hhmm(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def quiet_until(prefs: Prefs, now: datetime) -> datetime | None:
    """When the quiet hours around ``now`` end (UTC), or ``None`` if ``now`` is not in quiet hours."""
    if not prefs.quiet_start or not prefs.quiet_end:
        return None
    zone = clock.zone(prefs.zone)
    local = now.astimezone(zone)
    start, end, at = _hhmm(prefs.quiet_start), _hhmm(prefs.quiet_end), local.time()
    if start == end:  # an empty window
        return None
    inside = start <= at < end if start < end else (at >= start or at < end)
    if not inside:
        return None
    end_day = local.date() if at < end else local.date() + timedelta(days=1)
    return datetime.combine(end_day, end, tzinfo=zone).astimezone(clock.zone("UTC"))


# ---------------------------------------------------------------------------------------------- delivery
Outcome = Literal["sent", "muted", "deferred", "stale", "raced"]
#: per kind, whether a due reminder still tells the truth (a chicken fed again is not hungry any more)
StillDue = Callable[[Reminder], bool]


@dataclass(slots=True)
class DeliveryReport:
    examined: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)

    def add(self, outcome: Outcome) -> None:
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1


def due_buckets(now: datetime) -> list[str]:
    today = now.astimezone(clock.zone("UTC")).date()
    days = [today - timedelta(days=back) for back in range(settings().lookback_days, -1, -1)]
    return [f"{day.isoformat()}#{shard}" for day in days for shard in range(settings().due_shards)]


def due_reminders(now: datetime) -> Iterable[Reminder]:
    """Scheduled reminders whose due time has passed, bucket by bucket (O(what is due))."""
    now_iso = clock.iso(now)
    for bucket in due_buckets(now):
        yield from Reminder.due_index.query(
            bucket, Reminder.due_index_at <= now_iso, page_size=settings().page_size
        )


def _prefs_many(users: Sequence[str]) -> dict[str, Prefs]:
    keys = [(partition(u), "PREFS") for u in sorted(set(users))]
    found = {item.pk: _prefs_of(item) for item in ReminderPrefs.batch_get(keys)}
    return {u: found.get(partition(u), Prefs()) for u in users}


def decide(
    reminder: Reminder, prefs: Prefs, now: datetime, still_due: StillDue | None = None
) -> tuple[Outcome, datetime | None]:
    if still_due is not None and not still_due(reminder):
        return "stale", None
    if reminder.reminder in prefs.muted:
        return "muted", None
    later = quiet_until(prefs, now)
    return ("deferred", later) if later is not None else ("sent", None)


def deliver(reminder: Reminder, outcome: Outcome, later: datetime | None, now: datetime) -> Outcome:
    """Apply one decision with a guarded update; ``raced`` when another finder got there first."""
    actions: list[Action]
    if outcome == "deferred":
        assert later is not None
        actions = [
            Reminder.due_bucket.set(_bucket(f"{reminder.pk}|{reminder.sk}", later)),
            Reminder.due_index_at.set(clock.iso(later)),
        ]
    else:
        actions = [
            Reminder.state.set(outcome),
            Reminder.sent_at.set(clock.iso(now)),
            Reminder.due_bucket.remove(),
            Reminder.due_index_at.remove(),
            Reminder.ttl.set(_ttl(now)),
        ]
    condition = (Reminder.state == "scheduled") & (Reminder.due_index_at == reminder.due_index_at)
    try:
        reminder.update(actions=actions, condition=condition, add_version_condition=False)
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return "raced"
        raise
    return outcome


def deliver_due(now: datetime | None = None, checks: Mapping[str, StillDue] | None = None) -> DeliveryReport:
    """Deliver (or mute, or defer past quiet hours, or drop as stale) every reminder due by ``now``."""
    at = now or clock.now()
    report = DeliveryReport()
    due = list(due_reminders(at))
    report.examined = len(due)
    prefs = _prefs_many([r.user_id for r in due]) if due else {}
    for reminder in due:
        check = (checks or {}).get(reminder.reminder)
        outcome, later = decide(reminder, prefs[reminder.user_id], at, check)
        report.add(deliver(reminder, outcome, later, at))
    return report

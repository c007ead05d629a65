"""Delivering due reminders, found in the sparse DueIndex (O(what is due)).

Delivery is a guarded update of the reminder (``state == scheduled`` and the due time read): ``sent``
when the kind is not muted and the user's local time is outside quiet hours, ``muted`` when muted,
``stale`` when the kind's check says it stopped being true, or a later due time (the end of the quiet
hours, a new DueIndex position). Concurrent finders therefore deliver a reminder once; the table's
stream publishes it after the update committed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from pynamodb.exceptions import UpdateError
from pynamodb.expressions.update import Action

from reward_ledger import clock
from reward_ledger.reminders.core import due_bucket_of, settings, settled_ttl
from reward_ledger.reminders.models import Reminder
from reward_ledger.reminders.prefs import Prefs, prefs_many, quiet_until

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
            Reminder.due_bucket.set(due_bucket_of(f"{reminder.pk}|{reminder.sk}", later)),
            Reminder.due_index_at.set(clock.iso(later)),
        ]
    else:
        actions = [
            Reminder.state.set(outcome),
            Reminder.sent_at.set(clock.iso(now)),
            Reminder.due_bucket.remove(),
            Reminder.due_index_at.remove(),
            Reminder.ttl.set(settled_ttl(now)),
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
    prefs = prefs_many([r.user_id for r in due]) if due else {}
    for reminder in due:
        check = (checks or {}).get(reminder.reminder)
        outcome, later = decide(reminder, prefs[reminder.user_id], at, check)
        report.add(deliver(reminder, outcome, later, at))
    return report

"""A reminder kind (declared in :mod:`reward_ledger.wiring`) names how its reminders come to exist.

* a *finder* (run by the scheduled finder before delivery) reads an index for what is about to happen
  and returns candidate reminders; the conditional put keeps one per (user, kind, subject);
* a *producer* is a feature's own transaction that schedules the reminder (``friend-nudge``: the nudge;
  ``chicken-hungry``: the feeding; ``withdrawal-*``: the resolution), optionally with a check at delivery
  that the reminder is still true.

Adding a kind is one entry in the wiring (and its name in ``REMINDER_NAMES``); delivery does not change.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from reward_ledger import clock
from reward_ledger.reminders.core import schedule
from reward_ledger.reminders.delivery import DeliveryReport, StillDue, deliver_due
from reward_ledger.reminders.models import REMINDER_NAMES, Reminder

Finder = Callable[[datetime], Iterable[Reminder]]


@dataclass(frozen=True, slots=True)
class ReminderKind:
    name: str
    finder: Finder | None = None  # None: a feature's transaction schedules it (a producer)
    still_due: StillDue | None = None  # checked at delivery: drop what stopped being true

    def __post_init__(self) -> None:
        assert self.name in REMINDER_NAMES, f"{self.name} is not a known reminder name"


@dataclass(slots=True)
class FinderReport:
    scheduled: dict[str, int]
    delivery: DeliveryReport


def find_and_deliver(kinds: Sequence[ReminderKind], now: datetime | None = None) -> FinderReport:
    """One scheduled run: every finder schedules what it found (once per subject), then due ones go out."""
    at = now or clock.now()
    scheduled: dict[str, int] = {}
    for kind in kinds:
        if kind.finder is not None:
            scheduled[kind.name] = sum(1 for r in kind.finder(at) if schedule(r))
    checks = {kind.name: kind.still_due for kind in kinds if kind.still_due is not None}
    return FinderReport(scheduled, deliver_due(at, checks))

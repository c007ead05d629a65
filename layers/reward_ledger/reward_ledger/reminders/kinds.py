"""The reminder kinds, declared in one place: each kind names how its reminders come to exist.

* a *finder* (run by the scheduled finder before delivery) reads an index for what is about to happen
  and returns candidate reminders; the conditional put keeps one per (user, kind, subject);
* a *producer* is a feature's own transaction that schedules the reminder (``friend-nudge``: the nudge;
  ``chicken-hungry``: the feeding; ``withdrawal-*``: the resolution), optionally with a check at delivery
  that the reminder is still true.

Adding a kind is one entry here (and its name in ``REMINDER_NAMES``); the delivery does not change.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from reward_ledger import clock, farm
from reward_ledger.config import ledger_settings
from reward_ledger.ledger.models import ExpiringItem
from reward_ledger.reminders.core import new_reminder, schedule, settings
from reward_ledger.reminders.delivery import DeliveryReport, StillDue, deliver_due
from reward_ledger.reminders.models import REMINDER_NAMES, Reminder

OXYGEN_LOT_KIND = "oxygen_lot"  # the forest's exp_kind of an oxygen lot in the ExpiryIndex

Finder = Callable[[datetime], Iterable[Reminder]]


@dataclass(frozen=True, slots=True)
class ReminderKind:
    name: str
    finder: Finder | None = None  # None: a feature's transaction schedules it (a producer)
    still_due: StillDue | None = None  # checked at delivery: drop what stopped being true


def expiring_oxygen(now: datetime) -> list[Reminder]:
    """Ripe, uncollected oxygen that vanishes at the owner's local midnight within the window: one
    reminder per owner and deadline (a local day), however many lots.

    Reads the ExpiryIndex buckets of the UTC days the window touches, ``now < expires_at <= now+window``:
    O(lots expiring within the hour).
    """
    until = now + timedelta(minutes=settings().oxygen_window_minutes)
    now_iso, until_iso = clock.iso(now), clock.iso(until)
    days = sorted({d.astimezone(clock.zone("UTC")).date().isoformat() for d in (now, until)})
    grams: dict[tuple[str, str], int] = defaultdict(int)
    connection = ExpiringItem._get_connection()
    for day in days:
        for shard in range(ledger_settings().time.expiry_shards):
            start_key = None
            while True:
                page = connection.query(
                    hash_key=f"{day}#{shard}",
                    range_key_condition=ExpiringItem.expires_at.between(now_iso, until_iso),
                    index_name="ExpiryIndex",
                    limit=settings().page_size,
                    exclusive_start_key=start_key,
                )
                for item in page.get("Items", []):
                    if item.get("exp_kind", {}).get("S") != OXYGEN_LOT_KIND:
                        continue
                    if item.get("state", {}).get("S") != "open" or item["ripe_at"]["S"] > now_iso:
                        continue
                    left = int(item["amount"]["N"]) - int(item.get("stolen", {}).get("N", "0"))
                    if left > 0 and item["expires_at"]["S"] > now_iso:
                        grams[(item["owner"]["S"], item["expires_at"]["S"])] += left
                start_key = page.get("LastEvaluatedKey")
                if not start_key:
                    break
    return [
        new_reminder(owner, "oxygen-expiring", deadline, now, {"grams": amount, "expires_at": deadline})
        for (owner, deadline), amount in sorted(grams.items())
    ]


KINDS: tuple[ReminderKind, ...] = (
    ReminderKind("oxygen-expiring", expiring_oxygen),
    ReminderKind("friend-nudge"),
    # scheduled by the feeding transaction, due once the meal is over for a while; stale if fed again
    ReminderKind("chicken-hungry", still_due=lambda r: farm.still_hungry(r.user_id, r.subject)),
    ReminderKind("withdrawal-completed"),  # scheduled by the withdrawal's resolving transaction
    ReminderKind("withdrawal-rejected"),
)
assert {k.name for k in KINDS} <= set(REMINDER_NAMES), "every declared kind is a known reminder name"


@dataclass(slots=True)
class FinderReport:
    scheduled: dict[str, int]
    delivery: DeliveryReport


def find_and_deliver(now: datetime | None = None, kinds: Sequence[ReminderKind] = KINDS) -> FinderReport:
    """One scheduled run: every finder schedules what it found (once per subject), then due ones go out."""
    at = now or clock.now()
    scheduled: dict[str, int] = {}
    for kind in kinds:
        if kind.finder is not None:
            scheduled[kind.name] = sum(1 for r in kind.finder(at) if schedule(r))
    checks = {kind.name: kind.still_due for kind in kinds if kind.still_due is not None}
    return FinderReport(scheduled, deliver_due(at, checks))

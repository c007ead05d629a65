"""The user's reminder settings: muted kinds and quiet hours in their local time."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from pydantic import Field

from reward_ledger import clock
from reward_ledger.reminders.models import ReminderPrefs, partition
from reward_ledger.replies import Reply


class QuietWindow(Reply):
    start: str = Field(description="local time HH:MM at which quiet hours begin", examples=["22:00"])
    end: str = Field(
        description="local time HH:MM at which they end (may be the next day)", examples=["07:30"]
    )


class ReminderSettings(Reply):
    """Your muted reminder kinds and quiet hours (in your local time)."""

    muted: list[str] = Field(description="reminder kinds never sent", examples=[["friend-nudge"]])
    quiet_hours: QuietWindow | None = Field(description="reminders due then wait until it ends; null: none")
    timezone: str = Field(description="IANA zone the quiet hours are read in", examples=["Asia/Shanghai"])


@dataclass(frozen=True, slots=True)
class Prefs:
    muted: frozenset[str] = frozenset()
    quiet_start: str | None = None  # "HH:MM" local
    quiet_end: str | None = None
    zone: str | None = None

    def view(self) -> ReminderSettings:
        quiet = QuietWindow(start=self.quiet_start, end=self.quiet_end or "") if self.quiet_start else None
        return ReminderSettings(
            muted=sorted(self.muted), quiet_hours=quiet, timezone=self.zone or clock.zone().key
        )


def prefs_of(item: ReminderPrefs | None) -> Prefs:
    if item is None:
        return Prefs()
    return Prefs(frozenset(item.muted or ()), item.quiet_start, item.quiet_end, item.zone)


def get_prefs(user_id: str) -> Prefs:
    try:
        return prefs_of(ReminderPrefs.get(partition(user_id), "PREFS"))
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


def prefs_many(users: Sequence[str]) -> dict[str, Prefs]:
    """Settings of ``users`` in one BatchGetItem (default settings for users without any)."""
    keys = [(partition(u), "PREFS") for u in sorted(set(users))]
    found = {item.pk: prefs_of(item) for item in ReminderPrefs.batch_get(keys)}
    return {u: found.get(partition(u), Prefs()) for u in users}

"""Challenge days in the user's local time: day k of a challenge is the k-th local day from joining."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from reward_ledger import clock
from reward_ledger.challenges.items import settings

ONE_DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Terms:
    """What never changes once a user joined (kept in the ledger's memo; every write re-checks it)."""

    challenge_id: str
    merchant_id: str
    zone: str
    start: date
    days: int
    max_winners: int | None

    def day_index(self, instant: datetime) -> int:
        """1 on the joining day, 2 the next local day, ..."""
        return (clock.local_day(instant, self.zone) - self.start).days + 1

    def date_of(self, index: int) -> date:
        return self.start + (index - 1) * ONE_DAY

    def deadline(self, index: int) -> datetime:
        """The end of challenge day ``index`` (the next local midnight), in the user's zone."""
        return datetime.combine(self.date_of(index) + ONE_DAY, time(0), tzinfo=clock.zone(self.zone))

    def reminder_at(self, index: int) -> datetime:
        hour = settings().remind_at_hour
        return datetime.combine(self.date_of(index), time(hour), tzinfo=clock.zone(self.zone))

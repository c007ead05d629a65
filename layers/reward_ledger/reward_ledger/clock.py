"""The clock the domain sees.

Business rules depend on time (local days, ripening, expiry), so time is injected: production reads the
system clock, tests and the local stack pin or move it with :func:`set_now`. Instants are timezone-aware
UTC; local days are computed in the user's zone.
"""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from reward_ledger.config import ledger_settings

_lock = threading.Lock()
_pinned: datetime | None = None


def now() -> datetime:
    """The current instant (UTC), or the pinned one when a test or the local stack moved the clock."""
    with _lock:
        pinned = _pinned
    return pinned if pinned is not None else datetime.now(UTC)


def set_now(instant: datetime | None) -> None:
    """Pin the clock to ``instant`` (aware), or release it with ``None``."""
    global _pinned
    if instant is not None and instant.tzinfo is None:
        raise ValueError("the clock needs a timezone-aware instant")
    with _lock:
        _pinned = instant.astimezone(UTC) if instant is not None else None


def iso(instant: datetime) -> str:
    """ISO-8601 UTC with a Z, millisecond precision: sortable as a string, as the contract shows times."""
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{instant.microsecond // 1000:03d}Z"


def parse_iso(text: str) -> datetime:
    instant = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    return instant.astimezone(UTC)


def zone(name: str | None = None) -> ZoneInfo:
    return ZoneInfo(name or ledger_settings().time.default_timezone)


def local_day(instant: datetime, tz: str | None = None) -> date:
    """The business day of ``instant`` in the user's zone (default Asia/Shanghai)."""
    return instant.astimezone(zone(tz)).date()


def next_local_midnight(instant: datetime, tz: str | None = None) -> datetime:
    """The UTC instant at which the user's local day containing ``instant`` ends."""
    zi = zone(tz)
    day = instant.astimezone(zi).date() + timedelta(days=1)
    return datetime.combine(day, time.min, tzinfo=zi).astimezone(UTC)

"""The clock the domain sees.

Business rules depend on time (local days, ripening, expiry), so time is injected: production reads the
system clock, tests pin or move it with :func:`set_now`. The local stack runs each function in its own
process, so it moves the clock of all of them through a file it owns: when the local-only variable
``LOCAL_CLOCK_FILE`` names one, an instant written there (ISO-8601, empty for the system clock) is the
pinned instant of every process that reads it. AWS never sets that variable. Instants are
timezone-aware UTC; local days are computed in the user's zone.
"""

from __future__ import annotations

import os
import threading
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from reward_ledger.config import ledger_settings

CLOCK_FILE_VARIABLE = "LOCAL_CLOCK_FILE"
_lock = threading.Lock()
_pinned: datetime | None = None
_file_cache: tuple[str, tuple[int, int, int], datetime | None] | None = None  # path, version, instant


def now() -> datetime:
    """The current instant (UTC), or the pinned one when a test or the local stack moved the clock."""
    with _lock:
        pinned = _pinned
    if pinned is None and (path := os.environ.get(CLOCK_FILE_VARIABLE)):
        pinned = _file_instant(path)
    return pinned if pinned is not None else datetime.now(UTC)


def _file_instant(path: str) -> datetime | None:
    """The instant pinned in the local stack's clock file (re-read only when the file changed)."""
    global _file_cache
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return None
    # each write replaces the file (a new inode), so the version changes even within one mtime tick
    changed = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
    cached = _file_cache
    if cached is not None and cached[0] == path and cached[1] == changed:
        return cached[2]
    with open(path, encoding="utf-8") as handle:
        text = handle.read().strip()
    instant = parse_iso(text) if text else None
    _file_cache = (path, changed, instant)
    return instant


def write_clock_file(path: str, instant: datetime | None) -> None:
    """Pin (or release, with ``None``) the clock of every process reading ``path`` (the local stack's)."""
    if instant is not None and instant.tzinfo is None:
        raise ValueError("the clock needs a timezone-aware instant")
    temporary = f"{path}.{os.getpid()}.tmp"
    with open(temporary, "w", encoding="utf-8") as handle:
        handle.write(instant.astimezone(UTC).isoformat() if instant is not None else "")
    os.replace(temporary, path)  # readers see the old or the new instant, never half of one


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

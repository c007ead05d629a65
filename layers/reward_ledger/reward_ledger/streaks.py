"""Streaks of local days: how many consecutive days a user did something (saved, played), from the set of
days they did it. Pure functions, so any feature can derive a streak at read time from stored days."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta


def streak(days: Iterable[str], today: date) -> int:
    """Consecutive local days in ``days`` ending today, or yesterday (today may still come)."""
    found = set(days)
    day = today if today.isoformat() in found else today - timedelta(days=1)
    length = 0
    while day.isoformat() in found:
        length += 1
        day -= timedelta(days=1)
    return length


def best_streak(days: Iterable[str]) -> int:
    """The longest run of consecutive days in ``days`` (ISO dates)."""
    ordered = sorted(date.fromisoformat(d) for d in set(days))
    best = run = 0
    previous: date | None = None
    for day in ordered:
        run = run + 1 if previous is not None and day - previous == timedelta(days=1) else 1
        best = max(best, run)
        previous = day
    return best

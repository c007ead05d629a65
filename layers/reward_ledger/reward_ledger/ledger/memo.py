"""Short-lived hints a ledger keeps between requests (a campaign budget found dry, a coupon found sold
out). A hint never decides anything: it only makes the next request read before it writes, and the
transaction still decides. It lives as long as the :class:`~reward_ledger.ledger.Ledger` that holds it:
one Lambda execution environment in AWS, one test (or one bench run) in the suite; nothing resets it.

A warm environment may serve millions of users, and some hints are per user or per card, so a memo holds
at most :data:`MAX_ENTRIES` of each kind and drops the oldest first: a dropped hint costs one read.
"""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any

# Hints kept per kind (marks, kept values). At a few hundred bytes each, 10,000 stay well under a
# megabyte of a 256 MB function; a hint is only worth keeping for the users an environment sees often.
MAX_ENTRIES = 10_000


class Memo:
    """``(topic, key)`` marked until an instant. Thread-safe."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        assert max_entries > 0
        self._max_entries = max_entries
        self._until: dict[tuple[str, str], datetime] = {}
        self._kept: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    def mark(self, topic: str, key: str, until: datetime) -> None:
        with self._lock:
            _bounded_put(self._until, (topic, key), until, self._max_entries)

    def marked(self, topic: str, key: str, now: datetime) -> bool:
        with self._lock:
            until = self._until.get((topic, key))
        return until is not None and now < until

    def keep(self, topic: str, key: str, value: Any) -> None:
        """Remember ``value`` (terms read from the table) so the next request may write without reading.

        Whoever writes on a kept value must guard the write with the version it read (a changed item
        fails the transaction, and the caller reads again): the value saves a read, never decides."""
        with self._lock:
            _bounded_put(self._kept, (topic, key), value, self._max_entries)

    def kept(self, topic: str, key: str) -> Any:
        with self._lock:
            return self._kept.get((topic, key))

    def forget(self, topic: str, key: str) -> None:
        with self._lock:
            self._kept.pop((topic, key), None)

    def __len__(self) -> int:
        """Hints held, of both kinds."""
        with self._lock:
            return len(self._until) + len(self._kept)

    def clear(self) -> None:
        with self._lock:
            self._until.clear()
            self._kept.clear()


def _bounded_put(hints: dict[tuple[str, str], Any], key: tuple[str, str], value: Any, limit: int) -> None:
    """Put ``value`` last (newest) and drop the oldest hints beyond ``limit``."""
    hints.pop(key, None)
    hints[key] = value
    while len(hints) > limit:
        del hints[next(iter(hints))]
    assert len(hints) <= limit

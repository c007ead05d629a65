"""Short-lived hints a ledger keeps between requests (a campaign budget found dry, a coupon found sold
out). A hint never decides anything: it only makes the next request read before it writes, and the
transaction still decides. It lives as long as the :class:`~reward_ledger.ledger.Ledger` that holds it:
one Lambda execution environment in AWS, one test (or one bench run) in the suite; nothing resets it.
"""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any


class Memo:
    """``(topic, key)`` marked until an instant. Thread-safe."""

    def __init__(self) -> None:
        self._until: dict[tuple[str, str], datetime] = {}
        self._kept: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    def mark(self, topic: str, key: str, until: datetime) -> None:
        with self._lock:
            self._until[(topic, key)] = until

    def marked(self, topic: str, key: str, now: datetime) -> bool:
        with self._lock:
            until = self._until.get((topic, key))
        return until is not None and now < until

    def keep(self, topic: str, key: str, value: Any) -> None:
        """Remember ``value`` (terms read from the table) so the next request may write without reading.

        Whoever writes on a kept value must guard the write with the version it read (a changed item
        fails the transaction, and the caller reads again): the value saves a read, never decides."""
        with self._lock:
            self._kept[(topic, key)] = value

    def kept(self, topic: str, key: str) -> Any:
        with self._lock:
            return self._kept.get((topic, key))

    def forget(self, topic: str, key: str) -> None:
        with self._lock:
            self._kept.pop((topic, key), None)

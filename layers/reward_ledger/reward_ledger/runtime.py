"""Process-wide singletons for handlers: one Ledger per Lambda execution environment."""

from __future__ import annotations

from functools import cache

from reward_ledger.ledger import Ledger


@cache
def ledger() -> Ledger:
    return Ledger()

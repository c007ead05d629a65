"""What a handler's execution environment holds: one ledger and one sweeper, built from the product's
wiring (:data:`reward_ledger.wiring.PRODUCT`), made on first use and kept for the environment's life
(a Lambda execution environment; in the in-process tests, the process)."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from reward_ledger import cap_zones
from reward_ledger.ledger import Ledger
from reward_ledger.wiring import PRODUCT

if TYPE_CHECKING:
    from reward_ledger.sweep import Sweeper


@cache
def ledger() -> Ledger:
    return PRODUCT.ledger()


@cache
def sweeper() -> Sweeper:
    return PRODUCT.sweeper(ledger())


def new_environment() -> None:
    """Forget this environment's ledger and sweeper, as a new execution environment would start (the
    in-process tests start one per test, so no memo outlives its test)."""
    from reward_ledger.games import live, sessions  # only tests call this: no feature import at cold start

    ledger.cache_clear()
    sweeper.cache_clear()
    cap_zones.forget_known()
    live.forget()
    sessions.forget_secrets()

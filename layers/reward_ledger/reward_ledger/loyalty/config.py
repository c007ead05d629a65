"""The bounds of loyalty programs (``data/loyalty.toml``); the programs' own terms are data set by staff."""

from __future__ import annotations

from functools import cache

from pydantic import PositiveInt

from reward_ledger.config import StrictModel, load_model
from reward_ledger.ledger.core import MAX_TRANSACTION_ITEMS

#: items a spend needs besides its lots: header, two balances, one history row, the program check
SPEND_ROOM = 5
#: and an exchange for a coupon: header, four balances, three history rows, the coupon, its list row and
#: its reminder
EXCHANGE_ROOM = 11


class LoyaltySettings(StrictModel):
    max_earn_per_yuan: PositiveInt
    max_tiers: PositiveInt
    max_points_valid_days: PositiveInt
    default_tier_window_days: PositiveInt
    max_lots_per_spend: PositiveInt
    expiring_listed: PositiveInt


@cache
def settings() -> LoyaltySettings:
    loaded = load_model("loyalty", LoyaltySettings)
    assert loaded.max_lots_per_spend + max(SPEND_ROOM, EXCHANGE_ROOM) <= MAX_TRANSACTION_ITEMS
    return loaded

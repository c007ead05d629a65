"""The forest's numbers (``data/forest.toml``), validated at load."""

from __future__ import annotations

from functools import cache

from pydantic import BaseModel, PositiveInt

from reward_ledger.config import StrictModel, load_model
from reward_ledger.ledger.core import MAX_TRANSACTION_ITEMS

#: items a collect needs besides one guard per lot: the entry header, the energy balance and up to 13
#: shards of the lot pool (it has 8)
COLLECT_ROOM = 15
#: the most lots one collect takes (one transaction)
MAX_LOTS_PER_COLLECT = MAX_TRANSACTION_ITEMS - COLLECT_ROOM
#: minutes in a day: a lot ripens within its day
MINUTES_PER_DAY = 24 * 60


class LotSettings(StrictModel):
    ripen_minutes: int
    max_lots_per_collect: PositiveInt
    settled_ttl_days: PositiveInt


class StealSettings(StrictModel):
    share_percent: PositiveInt
    max_stolen_percent: PositiveInt


class WaterSettings(StrictModel):
    min_grams: PositiveInt
    max_grams: PositiveInt


class Species(StrictModel):
    species: str
    name: str
    name_zh: str
    cost: PositiveInt


class ForestSettings(BaseModel):
    lots: LotSettings
    steal: StealSettings
    water: WaterSettings
    species: list[Species]


@cache
def settings() -> ForestSettings:
    loaded = load_model("forest", ForestSettings)
    if (
        not 0 <= loaded.lots.ripen_minutes <= MINUTES_PER_DAY
        or loaded.lots.max_lots_per_collect > MAX_LOTS_PER_COLLECT
    ):
        raise ValueError("invalid configuration data/forest.toml: lots out of range")
    if loaded.steal.share_percent > loaded.steal.max_stolen_percent or loaded.steal.max_stolen_percent > 100:
        raise ValueError("invalid configuration data/forest.toml: steal shares out of range")
    return loaded

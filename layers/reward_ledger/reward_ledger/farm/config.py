"""The farm's numbers (``data/farm.toml``), validated at load."""

from __future__ import annotations

from functools import cache

from pydantic import BaseModel, PositiveInt

from reward_ledger.config import StrictModel, load_model


class ChickenSettings(StrictModel):
    feed_per_meal: PositiveInt
    meal_minutes: PositiveInt
    progress_per_meal: PositiveInt
    progress_per_egg: PositiveInt


class EggSettings(StrictModel):
    expire_after_days: PositiveInt
    settled_ttl_days: PositiveInt


class FarmSettings(BaseModel):
    chicken: ChickenSettings
    eggs: EggSettings


@cache
def settings() -> FarmSettings:
    return load_model("farm", FarmSettings)

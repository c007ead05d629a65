"""The rentals' data (``data/rentals.toml``): items, cabinets and trust tiers, validated at load."""

from __future__ import annotations

from functools import cache
from typing import Literal

from pydantic import BaseModel, Field, NonNegativeInt, PositiveInt, model_validator

from reward_ledger.config import StrictModel, load_model
from reward_ledger.errors import NotFound

ID_PATTERN = r"^[A-Za-z0-9_.-]{1,64}$"


class RentalItem(StrictModel):
    item: str = Field(pattern=ID_PATTERN)
    asset: str = Field(pattern=r"^[A-Z][A-Z0-9]{0,15}$")
    deposit: PositiveInt
    loan_hours: PositiveInt


class CabinetBatch(StrictModel):
    batch_id: str = Field(pattern=ID_PATTERN)
    item: str
    units: PositiveInt


class Cabinet(StrictModel):
    cabinet_id: str = Field(pattern=ID_PATTERN)
    location: str
    batches: list[CabinetBatch] = Field(default_factory=list)


class Tier(StrictModel):
    tier: str
    min_on_time: NonNegativeInt
    max_defaults: NonNegativeInt | None = None  # None: any number of defaults
    waive_deposit: bool

    def admits(self, on_time: int, defaults: int) -> bool:
        within = self.max_defaults is None or defaults <= self.max_defaults
        return on_time >= self.min_on_time and within


class RentalSettings(BaseModel):
    on_timeout: Literal["post"]
    max_out_per_user: PositiveInt
    items: list[RentalItem]
    cabinets: list[Cabinet]
    tiers: list[Tier] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> RentalSettings:
        names = {i.item for i in self.items}
        for cab in self.cabinets:
            for batch in cab.batches:
                if batch.item not in names:
                    raise ValueError(f"cabinet {cab.cabinet_id}: unknown item {batch.item}")
        batch_ids = [b.batch_id for c in self.cabinets for b in c.batches]
        if len(set(batch_ids)) != len(batch_ids):
            raise ValueError("cabinet batch ids must be unique")
        last = self.tiers[-1]
        if last.min_on_time or last.max_defaults is not None or last.waive_deposit:
            raise ValueError("the last tier must admit everyone (no rules) and keep the deposit")
        return self


@cache
def settings() -> RentalSettings:
    return load_model("rentals", RentalSettings)


def item_of(name: str) -> RentalItem:
    for item in settings().items:
        if item.item == name:
            return item
    raise NotFound(f"no rental item {name!r}")


def cabinet_of(cabinet_id: str) -> Cabinet:
    for cab in settings().cabinets:
        if cab.cabinet_id == cabinet_id:
            return cab
    raise NotFound(f"no cabinet {cabinet_id!r}")

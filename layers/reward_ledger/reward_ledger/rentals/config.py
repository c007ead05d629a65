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
    """A tier is held while the user has ``min_returns`` qualifying returns and at most ``max_defaults``."""

    tier: str
    min_returns: NonNegativeInt  # qualifying returns (see TrustRules), not every return
    max_defaults: NonNegativeInt | None = None  # None: any number of defaults
    waive_deposit: bool

    def admits(self, qualifying: int, defaults: int) -> bool:
        within = self.max_defaults is None or defaults <= self.max_defaults
        return qualifying >= self.min_returns and within


class OnDefault(StrictModel):
    """What a default (a rental forfeited by its timeout: not returned by the due time) does to trust."""

    reset_returns: bool  # the qualifying returns go back to 0 in the forfeit's own transaction


class TrustRules(StrictModel):
    """Which returns count towards a tier. A return qualifies when the loan lasted at least
    ``min_loan_minutes``, came back by its due time, and no other return counted on the same local day
    (the day of the product's server-side zone, never a claim of the caller's)."""

    min_loan_minutes: PositiveInt
    on_default: OnDefault


class RentalSettings(BaseModel):
    on_timeout: Literal["post"]
    max_out_per_user: PositiveInt
    items: list[RentalItem]
    cabinets: list[Cabinet]
    trust: TrustRules
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
        needs = [t.min_returns for t in self.tiers]
        if needs != sorted(needs, reverse=True) or len({t.tier for t in self.tiers}) != len(self.tiers):
            raise ValueError("tiers are listed best first (min_returns never rising), each named once")
        last = self.tiers[-1]
        if last.min_returns or last.max_defaults is not None or last.waive_deposit:
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

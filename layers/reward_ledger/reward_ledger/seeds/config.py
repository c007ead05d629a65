"""The seeds' numbers (``data/seeds.toml``): which payments earn a box, and the published prize tables."""

from __future__ import annotations

from functools import cache

from pydantic import Field, PositiveInt, StrictInt, model_validator

from reward_ledger.config import StrictModel, load_model
from reward_ledger.errors import NotFound

ID_PATTERN = r"^[A-Za-z0-9_.-]{1,64}$"
EPOCH_PATTERN = r"^\d{4}-\d{2}-\d{2}$"
SEED = "SEED"


class PrizeRow(StrictModel):
    seeds: StrictInt = Field(ge=0)
    weight: PositiveInt


class PrizeTable(StrictModel):
    version: str = Field(pattern=ID_PATTERN)
    rows: list[PrizeRow] = Field(min_length=1)

    @property
    def total_weight(self) -> int:
        return sum(row.weight for row in self.rows)

    def prize(self, roll: int) -> tuple[int, PrizeRow]:
        """The row index and row that ``roll`` (0 <= roll < total_weight) lands on."""
        upper = 0
        for index, row in enumerate(self.rows):
            upper += row.weight
            if roll < upper:
                return index, row
        raise ValueError(f"roll {roll} outside table {self.version}")


class DrawSettings(StrictModel):
    active_table: str
    tables: list[PrizeTable] = Field(min_length=1)

    @model_validator(mode="after")
    def _active_exists(self) -> DrawSettings:
        versions = [t.version for t in self.tables]
        if len(set(versions)) != len(versions):
            raise ValueError("prize table versions must be unique")
        if self.active_table not in versions:
            raise ValueError(f"active_table {self.active_table} is not listed")
        return self


class BoxSettings(StrictModel):
    categories: list[str]
    min_amount: StrictInt = Field(ge=0)
    daily_cap: PositiveInt


class SeedsSettings(StrictModel):
    boxes: BoxSettings
    draw: DrawSettings


@cache
def settings() -> SeedsSettings:
    return load_model("seeds", SeedsSettings)


def prize_table(version: str | None = None) -> PrizeTable:
    draw = settings().draw
    wanted = version or draw.active_table
    for table in draw.tables:
        if table.version == wanted:
            return table
    raise NotFound(f"no prize table {wanted!r}")

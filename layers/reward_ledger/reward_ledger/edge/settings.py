"""The edge's configuration (``data/edge.toml``): body limits and the operator-scope claims."""

from __future__ import annotations

from functools import cache

from pydantic import Field, PositiveInt

from reward_ledger.config import StrictModel, load_model


class BodyLimits(StrictModel):
    max_bytes: PositiveInt
    max_json_depth: PositiveInt
    max_int_digits: PositiveInt = Field(le=4300)


class ScopeClaims(StrictModel):
    group_claim: str = Field(min_length=1)
    groups: dict[str, str] = Field(default_factory=dict)


class EdgeSettings(StrictModel):
    body: BodyLimits
    scopes: ScopeClaims


@cache
def edge_settings() -> EdgeSettings:
    return load_model("edge", EdgeSettings)

"""Configuration as data: every cap, threshold, rate and policy lives in ``data/*.toml``.

Files are validated with pydantic at load so a malformed file fails at import with a clear message,
never halfway through a money movement.
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PositiveInt, StrictInt

_M = TypeVar("_M", bound=BaseModel)


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _whole(value: object) -> object:
    return int(value) if isinstance(value, float) and value.is_integer() else value


# A JSON integer as JSON Schema defines it (1.0 is one), never a string or a boolean. Here, beside the
# request models' base, so that domain models use it without importing the HTTP edge's OpenAPI helpers.
WholeInt = Annotated[StrictInt, BeforeValidator(_whole)]


class RetryPolicy(StrictModel):
    max_attempts: PositiveInt
    base_delay_ms: PositiveInt
    max_delay_ms: PositiveInt


class TimeSettings(StrictModel):
    default_timezone: str
    expiry_shards: PositiveInt
    zone_change_days: PositiveInt = 30


class AccountPolicy(StrictModel):
    """How an account behaves: whether it may go negative, how many shard items, whether history is kept."""

    may_go_negative: bool = False
    shards: PositiveInt = 1
    history: bool = False


class AccountPolicies(StrictModel):
    default: AccountPolicy
    kinds: dict[str, AccountPolicy] = Field(default_factory=dict)


class UserBook(StrictModel):
    book: str
    asset: str


class LedgerSettings(StrictModel):
    retry: RetryPolicy
    time: TimeSettings
    accounts: AccountPolicies
    user_books: list[UserBook]


def load_data(name: str) -> dict[str, Any]:
    """Read ``data/<name>.toml`` shipped inside the package (works the same in a layer and in tests)."""
    text = resources.files("reward_ledger").joinpath("data", f"{name}.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def load_model(name: str, model: type[_M]) -> _M:
    """Load and validate a data file; a bad file raises ``ValueError`` naming the file."""
    try:
        return model.model_validate(load_data(name))
    except Exception as exc:  # pydantic.ValidationError or a TOML syntax error
        raise ValueError(f"invalid configuration data/{name}.toml: {exc}") from exc


@cache
def ledger_settings() -> LedgerSettings:
    return load_model("ledger", LedgerSettings)

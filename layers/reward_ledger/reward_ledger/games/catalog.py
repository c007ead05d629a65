"""The game catalog and every game number, loaded from ``data/games.toml``.

Sponsors boosting a game are merchants' ``game.result`` campaigns (``reward_ledger.campaigns``), not
game settings."""

from __future__ import annotations

import re
from functools import cache

from pydantic import Field, NonNegativeInt, PositiveInt, model_validator

from reward_ledger.config import StrictModel, load_model
from reward_ledger.errors import NotFound
from reward_ledger.ledger import Account

GAME_ID = r"^[a-z][a-z0-9-]{0,31}$"
_GAME_ID = re.compile(GAME_ID)


class RewardRow(StrictModel):
    min_score: NonNegativeInt
    fen: NonNegativeInt


class Game(StrictModel):
    game_id: str = Field(pattern=GAME_ID)
    title: str
    title_zh: str
    max_score: PositiveInt
    max_score_per_second: PositiveInt
    min_duration_ms: PositiveInt
    max_duration_ms: PositiveInt
    secret_parameter: str = Field(pattern=r"^/[A-Za-z0-9_./-]+$")
    rewards: list[RewardRow] = Field(min_length=1)

    @model_validator(mode="after")
    def _table_is_ordered(self) -> Game:
        scores = [row.min_score for row in self.rewards]
        if scores != sorted(set(scores)) or scores[0] != 0:
            raise ValueError(f"{self.game_id}: reward rows must start at 0 and increase")
        if self.min_duration_ms > self.max_duration_ms:
            raise ValueError(f"{self.game_id}: min_duration_ms above max_duration_ms")
        return self

    def reward_for(self, score: int) -> int:
        """Base reward (fen) of ``score``: the highest row whose ``min_score`` it reaches."""
        fen = 0
        for row in self.rewards:
            if score >= row.min_score:
                fen = row.fen
        return fen


class RewardSettings(StrictModel):
    house_budget: str
    daily_cap: PositiveInt
    daily_reminder_minutes: PositiveInt
    session_ttl_seconds: PositiveInt
    duration_slack_ms: NonNegativeInt
    held_review_hours: PositiveInt

    @property
    def house(self) -> Account:
        return Account.parse(self.house_budget)


class AntifraudSettings(StrictModel):
    results_per_window: PositiveInt
    window_seconds: PositiveInt
    max_accounts_per_device: PositiveInt
    hold_without_device: bool = True


class RiskSettings(StrictModel):
    max_auto_amount: PositiveInt
    blocked_users: list[str] = Field(default_factory=list)


class WithdrawalSettings(StrictModel):
    threshold: PositiveInt
    daily_limit: PositiveInt
    pending_timeout_hours: PositiveInt
    risk: RiskSettings


class GamesConfig(StrictModel):
    rewards: RewardSettings
    antifraud: AntifraudSettings
    withdrawals: WithdrawalSettings
    games: list[Game] = Field(min_length=1)

    @model_validator(mode="after")
    def _references_exist(self) -> GamesConfig:
        ids = [g.game_id for g in self.games]
        if len(ids) != len(set(ids)):
            raise ValueError("duplicate game_id")
        if self.rewards.house.kind != "system":
            raise ValueError("house_budget must be a system account (sharded, never negative)")
        return self


@cache
def config() -> GamesConfig:
    return load_model("games", GamesConfig)


def games() -> list[Game]:
    return list(config().games)


def game(game_id: str) -> Game:
    for candidate in config().games:
        if candidate.game_id == game_id:
            return candidate
    raise NotFound(f"no game {game_id!r}")


def is_game_id(text: str) -> bool:
    return bool(_GAME_ID.match(text))

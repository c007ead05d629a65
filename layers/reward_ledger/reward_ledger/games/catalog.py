"""What a game is (its validated spec) and every games number, loaded from ``data/games.toml``.

The catalog itself lives in the ledger table (``games.registry``: operators register, edit and suspend
games without a redeploy; ``games.live`` reads it on the hot path); the ``[[games]]`` of the file are
seed data, loaded once (``games.seed``). Sponsors boosting a game are merchants' ``game.result``
campaigns (``reward_ledger.campaigns``), not game settings."""

from __future__ import annotations

import re
from functools import cache
from typing import Any, Literal

from pydantic import Field, NonNegativeInt, PositiveInt, model_validator

from reward_ledger.config import StrictModel, WholeInt, load_model
from reward_ledger.ledger import Account

GAME_ID = r"^[a-z][a-z0-9-]{0,31}$"
_GAME_ID = re.compile(GAME_ID)
#: where every game's HMAC secret lives in SSM (``<prefix><game_id>/secret``); the only path the games
#: functions may read and the registering one may write (template.yaml)
SECRET_PREFIX = "/reward-ledger/games/"  # noqa: S105 - a parameter path, not a secret
SECRET_PARAMETER = r"^/reward-ledger/games/[a-z][a-z0-9-]{0,31}/secret$"  # noqa: S105 - a name pattern
MAX_REWARD_ROWS = 20
MAX_REWARD_FEN = 10_000  # one result never earns more than 100.00 CNY before the daily cap clamps it
MAX_SCORE = 10**9  # the result route's own bound on a score
MAX_DURATION_MS = 24 * 3_600_000  # the result route's own bound on a duration
MAX_TITLE = 80
GameStatus = Literal["active", "suspended"]


class RewardRow(StrictModel):
    min_score: WholeInt = Field(ge=0, le=MAX_SCORE)
    fen: WholeInt = Field(ge=0, le=MAX_REWARD_FEN)


class GameSpec(StrictModel):
    """What an operator registers and every version keeps: title, reward table, plausibility limits."""

    title: str = Field(min_length=1, max_length=MAX_TITLE, examples=["Sliding puzzle"])
    title_zh: str = Field(min_length=1, max_length=MAX_TITLE, examples=["拼图"])
    max_score: WholeInt = Field(ge=1, le=MAX_SCORE, description="a higher score is suspect (held)")
    max_score_per_second: WholeInt = Field(ge=1, le=MAX_SCORE, description="a faster score is suspect")
    min_duration_ms: WholeInt = Field(ge=1, le=MAX_DURATION_MS, description="a shorter game is suspect")
    max_duration_ms: WholeInt = Field(ge=1, le=MAX_DURATION_MS, description="a longer game is suspect")
    rewards: list[RewardRow] = Field(
        min_length=1,
        max_length=MAX_REWARD_ROWS,
        description="the highest row whose min_score the score reaches pays its fen; rows start at 0",
    )

    @model_validator(mode="after")
    def _table_is_ordered(self) -> GameSpec:
        scores = [row.min_score for row in self.rewards]
        if scores != sorted(set(scores)) or scores[0] != 0:
            raise ValueError("rewards: rows must start at 0 (min_score) and increase")
        if self.min_duration_ms > self.max_duration_ms:
            raise ValueError("min_duration_ms is above max_duration_ms")
        return self

    def spec_data(self) -> dict[str, Any]:
        """The spec alone (what a version row keeps), as JSON."""
        return self.model_dump(mode="json", include=set(GameSpec.model_fields))


class Game(GameSpec):
    """A catalog entry as the hot path judges it: one version of a game's spec, its status and secret.

    ``secret_version`` pins the SSM parameter version a registered game's secret was written as; seeded
    games (``data/games.toml``) name a parameter provisioned out of band and read its latest value."""

    game_id: str = Field(pattern=GAME_ID)
    secret_parameter: str = Field(pattern=SECRET_PARAMETER)
    version: WholeInt = Field(default=1, ge=1)
    status: GameStatus = "active"
    secret_version: WholeInt | None = None

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


def is_game_id(text: str) -> bool:
    return bool(_GAME_ID.match(text))

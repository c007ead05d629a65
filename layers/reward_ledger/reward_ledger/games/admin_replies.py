"""The operators' catalog routes: request bodies and typed replies (the source of their schemas)."""

from __future__ import annotations

from pydantic import Field

from reward_ledger.config import StrictModel
from reward_ledger.games.catalog import GAME_ID, GameSpec, GameStatus
from reward_ledger.replies import Reply


class NewGame(GameSpec):
    """A third-party game to register: its id, catalog entry, reward table and plausibility limits."""

    game_id: str = Field(pattern=GAME_ID, examples=["tap-tap"])
    status: GameStatus = Field(
        default="active", description="active: open for play at once; suspended: registered, not yet approved"
    )


class StatusChange(StrictModel):
    status: GameStatus = Field(description="active: approved for play; suspended: opens no new sessions")
    note: str = Field(default="", max_length=500, description="the operator's reason, kept in the entry")


class Registration(Reply):
    """The game is registered at version 1. ``secret`` is its HMAC secret, in this first answer only."""

    game_id: str = Field(examples=["tap-tap"])
    version: int = Field(examples=[1])
    status: GameStatus
    secret_parameter: str = Field(
        description="the SSM SecureString parameter holding the secret",
        examples=["/reward-ledger/games/tap-tap/secret"],
    )
    secret: str | None = Field(
        description="lowercase hex, 64 characters: sign results with it; null on a replay (never shown again)",
        examples=["9f2c" + "0" * 60],
    )


class GameChanged(Reply):
    """The catalog entry after the change (``changed`` false: it already was so, nothing was written)."""

    game_id: str = Field(examples=["tap-tap"])
    version: int = Field(
        description="the current version; sessions opened from now on record it", examples=[2]
    )
    status: GameStatus
    changed: bool


class GameView(Reply):
    """A game as operators see it; never its secret."""

    game_id: str = Field(examples=["tap-tap"])
    status: GameStatus
    version: int = Field(description="the version whose spec this is", examples=[1])
    current_version: int = Field(examples=[2])
    spec: GameSpec
    secret_parameter: str = Field(examples=["/reward-ledger/games/tap-tap/secret"])
    updated_at: str = Field(description="ISO-8601 UTC of the last change")
    updated_by: str = Field(examples=["operator:ops"])

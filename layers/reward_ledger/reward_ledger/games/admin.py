"""What operators do with the catalog: register a game (its secret generated here, in SSM only), edit
it, approve or suspend it, read it. The HTTP shapes are ``games.admin_replies``.

The secret (decision, docs/games.md): the service generates 32 random bytes, writes them as a new
version of the game's SSM ``SecureString`` parameter and returns them in the registration's first answer
only. The entry records the parameter's name and version (``secret_version``), never the value: the
idempotent replay answers ``secret: null``, and a lost answer is recovered by registering the game under
a new id (nothing was paid under the old one without its secret). Written before the entry, a secret
version whose entry then failed (a taken id, a crash) is never referenced, so it can judge nothing.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from reward_ledger.errors import AlreadyDone, NotFound
from reward_ledger.games.admin_replies import GameChanged, GameView, Registration
from reward_ledger.games.catalog import SECRET_PREFIX, Game, GameSpec, GameStatus
from reward_ledger.games.registry import (
    GameVersion,
    as_game,
    edit,
    load,
    read,
    register,
    set_status,
    version_key,
)
from reward_ledger.ledger import EntryResult, IdempotencyKey, Ledger

SECRET_BYTES = 32


@dataclass(frozen=True, slots=True)
class Registered:
    result: EntryResult
    secret: str | None  # only in the call that wrote it

    def reply(self) -> Registration:
        return Registration.model_validate({**(self.result.response or {}), "secret": self.secret})


def secret_parameter(game_id: str) -> str:
    return f"{SECRET_PREFIX}{game_id}/secret"


def _write_secret(game_id: str, value: str) -> int:
    from aws_lambda_powertools.utilities import parameters

    written = parameters.set_parameter(
        secret_parameter(game_id),
        value,
        overwrite=True,  # a version an earlier failed attempt left is never referenced
        parameter_type="SecureString",
        description=f"HMAC secret of game {game_id} (reward ledger)",
    )
    return int(written["Version"])


def register_game(
    ledger: Ledger, game_id: str, spec: GameSpec, status: GameStatus, actor: str, idem: IdempotencyKey
) -> Registered:
    """Register ``game_id`` at version 1; a replay of the same request answers without the secret."""
    if ledger.entry(idem.entry_id) is not None:  # a replay (or a 409): no new secret
        game = Game.model_validate(
            {**spec.model_dump(), "game_id": game_id, "status": status, **_pin(game_id)}
        )
        return Registered(register(ledger, game, actor, idem), None)
    if read(game_id) is not None:
        raise AlreadyDone(f"game id {game_id!r} is already registered")
    value = secrets.token_hex(SECRET_BYTES)
    version = _write_secret(game_id, value)
    game = Game.model_validate(
        {
            **spec.model_dump(),
            "game_id": game_id,
            "status": status,
            "secret_parameter": secret_parameter(game_id),
            "secret_version": version,
        }
    )
    result = register(ledger, game, actor, idem)
    return Registered(result, None if result.replayed else value)


def _pin(game_id: str) -> dict[str, Any]:
    """The secret fields of a replayed registration (its guards are not written again)."""
    return {"secret_parameter": secret_parameter(game_id), "secret_version": None}


def _changed(game_id: str, result: EntryResult | None) -> GameChanged:
    if result is None or result.response is None:  # nothing to change
        item = load(game_id)
        return GameChanged(
            game_id=game_id, version=int(item.version), status=as_game(item).status, changed=False
        )
    return GameChanged.model_validate({**result.response, "changed": not result.replayed})


def edit_game(ledger: Ledger, game_id: str, spec: GameSpec, actor: str) -> GameChanged:
    """A new version of the game (sessions opened from now on are judged by it)."""
    return _changed(game_id, edit(ledger, game_id, spec, actor))


def change_status(ledger: Ledger, game_id: str, status: GameStatus, actor: str, note: str) -> GameChanged:
    return _changed(game_id, set_status(ledger, game_id, status, actor, note))


def game_view(game_id: str, version: int | None = None) -> GameView:
    """The entry as operators see it (``version``: an earlier version's spec); never the secret."""
    item = load(game_id)
    game = as_game(item)
    spec = game.spec_data()
    if version is not None and version != game.version:
        pk, sk = version_key(game_id, version)
        try:
            spec = dict(GameVersion.get(pk, sk, consistent_read=True).spec)
        except GameVersion.DoesNotExist as exc:
            raise NotFound(f"no version {version} of game {game_id!r}") from exc
    return GameView.model_validate(
        {
            "spec": spec,
            "game_id": game_id,
            "status": game.status,
            "version": version or game.version,
            "current_version": game.version,
            "secret_parameter": game.secret_parameter,
            "updated_at": item.updated_at,
            "updated_by": item.updated_by,
        }
    )

"""The game catalog in the ledger table: operators register, edit (a new version) and suspend games.

* catalog entry  ``pk=GAMES``        ``sk=<game_id>``  status, version, spec, secret parameter (name and
  pinned SSM version, never the secret); one partition, so ``GET /v1/games`` is one Query
* version row    ``pk=GAME#<id>``    ``sk=V#<000001>``  the spec of each version and the secret's pin,
  kept for audit and for judging a result by the version its session was opened under (immutable:
  cached for good)

Every step is one ledger entry without legs (idempotent, journaled with its actor) whose guards write the
items, as campaigns do; a step names the version it read, so racing edits cannot both win.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from reward_ledger import clock
from reward_ledger.errors import AlreadyDone, NotFound, RetriesExhausted
from reward_ledger.games.catalog import Game, GameSpec, GameStatus
from reward_ledger.ledger import EntryRequest, EntryResult, Guard, IdempotencyKey, Ledger
from reward_ledger.ledger.models import LedgerTableMeta
from reward_ledger.ledger.table import LedgerModel

CATALOG_PK = "GAMES"
ADMIN_SCOPE = "games:admin"
MAX_STEP_ATTEMPTS = 4  # an edit that raced another edit reads again this many times
MAX_VERSION = 999_999  # version rows are numbered with six digits


class GameItem(LedgerModel):
    """The current catalog entry of one game."""

    class Meta(LedgerTableMeta):
        pass

    pk = UnicodeAttribute(hash_key=True, default=CATALOG_PK)
    sk = UnicodeAttribute(range_key=True)
    status = UnicodeAttribute()
    version = NumberAttribute()
    spec = JSONAttribute()
    secret_parameter = UnicodeAttribute()
    secret_version = NumberAttribute(null=True)
    updated_at = UnicodeAttribute()
    updated_by = UnicodeAttribute()


class GameVersion(LedgerModel):
    class Meta(LedgerTableMeta):
        pass

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    version = NumberAttribute()
    spec = JSONAttribute()
    secret_parameter = UnicodeAttribute()
    secret_version = NumberAttribute(null=True)
    created_at = UnicodeAttribute()
    created_by = UnicodeAttribute()


MODELS: tuple[type[Model], ...] = (GameItem, GameVersion)


class _Stale(RetriesExhausted):
    """The entry changed between the read and the write: read again (503 contention if it keeps on)."""


def version_key(game_id: str, version: int) -> tuple[str, str]:
    return f"GAME#{game_id}", f"V#{version:06d}"


def as_game(item: GameItem | GameVersion, game_id: str | None = None, status: str = "active") -> Game:
    """A catalog entry, or a version row (``game_id`` given; its status is not its own)."""
    return Game.model_validate(
        {
            **dict(item.spec),
            "game_id": game_id or item.sk,
            "secret_parameter": item.secret_parameter,
            "version": int(item.version),
            "status": item.status if isinstance(item, GameItem) else status,
            "secret_version": None if item.secret_version is None else int(item.secret_version),
        }
    )


def read(game_id: str, *, consistent: bool = True) -> GameItem | None:
    try:
        return GameItem.get(CATALOG_PK, game_id, consistent_read=consistent)
    except GameItem.DoesNotExist:
        return None


def load(game_id: str) -> GameItem:
    found = read(game_id)
    if found is None:
        raise NotFound(f"no game {game_id!r}")
    return found


def _version_row(game: Game, version: int, spec: Mapping[str, Any], actor: str, now: str) -> Guard:
    game_id = game.game_id
    assert version <= MAX_VERSION, "version rows are numbered with six digits"
    pk, sk = version_key(game_id, version)
    row = GameVersion(
        pk=pk,
        sk=sk,
        version=version,
        spec=dict(spec),
        secret_parameter=game.secret_parameter,
        secret_version=game.secret_version,
        created_at=now,
        created_by=actor,
    )
    return Guard.put(row, GameVersion.pk.does_not_exist(), lambda old: _Stale(f"{game_id} v{version} exists"))


def registration_guards(game: Game, actor: str) -> list[Guard]:
    """The items of a new game at version 1 (its id must be free): the API's and the seed's step."""
    now = clock.iso(clock.now())
    spec = game.spec_data()
    item = GameItem(
        sk=game.game_id,
        status=game.status,
        version=1,
        spec=spec,
        secret_parameter=game.secret_parameter,
        secret_version=game.secret_version,
        updated_at=now,
        updated_by=actor,
    )
    taken = f"game id {game.game_id!r} is already registered"
    return [
        Guard.put(item, GameItem.sk.does_not_exist(), lambda old: AlreadyDone(taken)),
        _version_row(game, 1, spec, actor, now),
    ]


def _request(
    idem: IdempotencyKey, kind: str, guards: list[Guard], response: dict[str, Any], **meta: Any
) -> EntryRequest:
    return EntryRequest(idempotency=idem, kind=kind, legs=[], guards=guards, metadata=meta, response=response)


def register(ledger: Ledger, game: Game, actor: str, idem: IdempotencyKey) -> EntryResult:
    """Version 1 of a new game (the secret is already in SSM: ``games.secrets``)."""
    response = {
        "game_id": game.game_id,
        "version": 1,
        "status": game.status,
        "secret_parameter": game.secret_parameter,
    }
    meta = {"game_id": game.game_id, "actor": actor, "secret_parameter": game.secret_parameter}
    guards = registration_guards(game, actor)
    return ledger.transfer(_request(idem, "games.registered", guards, response, **meta))


def _step(item: GameItem, actions: list[Any]) -> Guard:
    """Update the entry if it still has the version and status this step read."""
    condition = (GameItem.version == item.version) & (GameItem.status == item.status)
    return Guard.update(GameItem(sk=item.sk), actions, condition, lambda old: _Stale(f"{item.sk} changed"))


def _retrying(step: Any) -> EntryResult:
    for _ in range(MAX_STEP_ATTEMPTS - 1):
        try:
            return step()  # type: ignore[no-any-return]
        except _Stale:
            continue
    return step()  # type: ignore[no-any-return]


def edit(ledger: Ledger, game_id: str, spec: GameSpec, actor: str) -> EntryResult | None:
    """A new version with ``spec``; None when ``spec`` is the current version's (a PUT's retry: nothing
    written). Keyed by the version it follows and the spec, so a retried edit writes it once."""

    def step() -> EntryResult | None:
        item = load(game_id)
        data = spec.spec_data()
        if dict(item.spec) == data:
            return None
        version, now = int(item.version) + 1, clock.iso(clock.now())
        actions = [
            GameItem.version.set(version),
            GameItem.spec.set(data),
            GameItem.updated_at.set(now),
            GameItem.updated_by.set(actor),
        ]
        guards = [_step(item, actions), _version_row(as_game(item), version, data, actor, now)]
        idem = IdempotencyKey(ADMIN_SCOPE, f"{game_id}:v{version}", data)
        response = {"game_id": game_id, "version": version, "status": item.status}
        return ledger.transfer(
            _request(idem, "games.versioned", guards, response, game_id=game_id, actor=actor)
        )

    return _retrying(step)


def set_status(ledger: Ledger, game_id: str, status: GameStatus, actor: str, note: str) -> EntryResult | None:
    """Approve (``active``) or suspend a game; None when it already has that status (nothing written).
    A suspended game opens no new sessions; results of sessions opened before are held for review."""

    def step() -> EntryResult | None:
        item = load(game_id)
        if item.status == status:
            return None
        now = clock.iso(clock.now())
        actions = [GameItem.status.set(status), GameItem.updated_at.set(now), GameItem.updated_by.set(actor)]
        idem = IdempotencyKey(ADMIN_SCOPE, f"{game_id}:{item.updated_at}:{status}", {"status": status})
        response = {"game_id": game_id, "version": int(item.version), "status": status}
        meta = {"game_id": game_id, "actor": actor, "note": note, "status": status}
        return ledger.transfer(_request(idem, "games.status", [_step(item, actions)], response, **meta))

    return _retrying(step)

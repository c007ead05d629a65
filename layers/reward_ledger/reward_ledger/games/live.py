"""The catalog as the hot path reads it: per execution environment, for ``CATALOG_TTL_SECONDS``.

Opening a session and submitting a result must stay one DynamoDB round trip, and every result of a
game would otherwise read one item (a hot key). So a process trusts a catalog entry it read for
``CATALOG_TTL_SECONDS`` (by the ledger's clock): an operator's edit or suspension reaches new sessions
within that time. Version rows never change once written, so a process keeps them for good (at most
``MAX_CACHED_VERSIONS``): a result is judged by the version its session id names, whatever the entry
says now, and needs no catalog read once its process has seen that version. An id that names no game
is never remembered: a new game is playable at once.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from reward_ledger import clock
from reward_ledger.errors import NotFound
from reward_ledger.games.catalog import Game, is_game_id
from reward_ledger.games.registry import CATALOG_PK, GameItem, GameVersion, as_game, read, version_key

CATALOG_TTL_SECONDS = 30
MAX_CACHED_VERSIONS = 256
_TTL = timedelta(seconds=CATALOG_TTL_SECONDS)


@dataclass(frozen=True, slots=True)
class _Read:
    at: datetime
    value: Game


_lock = threading.Lock()
_entries: dict[str, _Read] = {}
_versions: dict[tuple[str, int], Game] = {}
_listing: list[tuple[datetime, list[Game]]] = []  # at most one: the last listing read


def forget() -> None:
    """A new execution environment remembers nothing (``runtime.new_environment``)."""
    with _lock:
        _entries.clear()
        _versions.clear()
        _listing.clear()


def _fresh(at: datetime, now: datetime) -> bool:
    return at <= now < at + _TTL  # a clock moved backwards (tests) reads again


def _keep_version(found: Game) -> None:
    with _lock:
        if len(_versions) >= MAX_CACHED_VERSIONS:
            _versions.clear()
        _versions[(found.game_id, found.version)] = found


def current(game_id: str) -> Game:
    """The game's current catalog entry (read at most once per TTL); 404 when there is none."""
    if not is_game_id(game_id):
        raise NotFound(f"no game {game_id!r}")
    now = clock.now()
    with _lock:
        known = _entries.get(game_id)
    if known is not None and _fresh(known.at, now):
        return known.value
    item = read(game_id)
    if item is None:
        raise NotFound(f"no game {game_id!r}")
    found = as_game(item)
    with _lock:
        _entries[game_id] = _Read(now, found)
    _keep_version(found)
    return found


def at_version(game_id: str, version: int) -> Game:
    """Version ``version`` of the game (its spec and secret pin then; ``status`` is not a version's)."""
    if not is_game_id(game_id):
        raise NotFound(f"no game {game_id!r}")
    with _lock:
        kept = _versions.get((game_id, version))
    if kept is None:
        pk, sk = version_key(game_id, version)
        try:
            row = GameVersion.get(pk, sk, consistent_read=True)
        except GameVersion.DoesNotExist as exc:
            raise NotFound(f"no version {version} of game {game_id!r}") from exc
        kept = as_game(row, game_id)
        _keep_version(kept)
    return kept


def active_games() -> list[Game]:
    """The games open for play, by id (one Query per TTL)."""
    now = clock.now()
    with _lock:
        listed = _listing[0] if _listing else None
    if listed is not None and _fresh(listed[0], now):
        return listed[1]
    games = [as_game(item) for item in GameItem.query(CATALOG_PK, consistent_read=True)]
    active = sorted((g for g in games if g.status == "active"), key=lambda g: g.game_id)
    with _lock:
        _listing[:] = [(now, active)]
    return active

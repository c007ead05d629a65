"""Game sessions: server-issued, single use, bound to one user and one game, expiring.

A session id is ``<game_id>.<token>``: it carries its game, so a result can be checked (game secret,
plausibility, reward table) and paid without reading the session first. The session item is then a
guard of the paying transaction: it must exist, belong to the caller, be open and unexpired, and it is
closed in that same transaction. The id also names the catalog version the session was opened under
(``.v<n>``, covered by the signature and bound to the session item by its key): the result is judged by
that version, read from an immutable version row (``games.live.at_version``), not by whatever the
catalog says when the result arrives.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist
from pynamodb.transactions import TransactWrite

from reward_ledger import clock
from reward_ledger.errors import AlreadyDone, Expired, Forbidden, GameSuspended, LedgerError, NotFound
from reward_ledger.games.catalog import Game, config, is_game_id
from reward_ledger.games.live import at_version, current
from reward_ledger.games.registry import MAX_VERSION
from reward_ledger.ledger import Guard, IdempotencyKey
from reward_ledger.ledger.models import LedgerTableMeta
from reward_ledger.ledger.table import LedgerModel
from reward_ledger.rate_limits import RateCharge, write_charged

LOCAL_SECRET_DEFAULT = "local-game-secret"  # noqa: S105 - the documented local default (CONTRACT.md)


class GameSession(LedgerModel):
    """``pk=GSESSION#<session_id>``: who may use it, until when, and whether it was used."""

    class Meta(LedgerTableMeta):
        pass

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default="SESSION")
    session_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    game_id = UnicodeAttribute()
    state = UnicodeAttribute(default="open")  # open -> closed
    opened_at = UnicodeAttribute()
    expires_at = UnicodeAttribute()
    closed_by = UnicodeAttribute(null=True)
    # the level the session was opened for: a game.result campaign trigger may require one
    level = NumberAttribute(null=True)
    game_version = NumberAttribute(null=True)  # the catalog version that judges its result
    ttl = NumberAttribute(null=True)  # cleanup only, well after expiry: sessions hold no money


def session_key(session_id: str) -> str:
    return f"GSESSION#{session_id}"


@dataclass(frozen=True, slots=True)
class OpenedSession:
    session_id: str
    expires_at: str
    replayed: bool
    level: int | None = None

    def body(self) -> dict[str, Any]:
        opened: dict[str, Any] = {"session_id": self.session_id, "expires_at": self.expires_at}
        if self.level is not None:
            opened["level"] = self.level
        return opened


#: a session opened for a level names it after its token (``puzzle.<token>.3``), and every session names
#: the catalog version it was opened under (``puzzle.<token>.3.v2``): the result then knows both without
#: reading the session, and a client cannot claim others (that id names no session of its user, and the
#: signature covers the id). An id without a version (opened before versions) is judged by the current one.
MAX_LEVEL = 1000
SESSION_ID_PATTERN = r"^[a-z][a-z0-9-]{0,31}\.[a-z2-7]{26}(\.[1-9][0-9]{0,3})?(\.v[1-9][0-9]{0,5})?$"


def session_id_for(game_id: str, token: str, level: int | None, version: int) -> str:
    assert level is None or 1 <= level <= MAX_LEVEL, "levels are 1..MAX_LEVEL"
    assert 1 <= version <= MAX_VERSION, "versions are 1..MAX_VERSION"
    base = f"{game_id}.{token}" if level is None else f"{game_id}.{token}.{level}"
    return f"{base}.v{version}"


def level_of(session_id: str) -> int | None:
    """The level a session was opened for (None: any level), read from its id."""
    parts = session_id.split(".")
    return int(parts[2]) if len(parts) >= 3 and parts[2].isdigit() else None


def version_of(session_id: str) -> int | None:
    """The catalog version a session was opened under, read from its id (None: not named)."""
    last = session_id.rsplit(".", 1)[-1]
    return int(last[1:]) if last.startswith("v") and last[1:].isdigit() else None


def game_of(session_id: str) -> Game:
    """The game (at its session's version) a session id names; an id that is malformed or names no game
    or version is simply not found."""
    game_id, dot, token = session_id.partition(".")
    if not dot or not token or not is_game_id(game_id):
        raise NotFound("no such session")
    version = version_of(session_id)
    try:
        return current(game_id) if version is None else at_version(game_id, version)
    except NotFound:
        raise NotFound("no such session") from None


def open_session(
    user_id: str,
    game_id: str,
    idem: IdempotencyKey,
    level: int | None = None,
    also: Callable[[TransactWrite], None] | None = None,
) -> OpenedSession:
    """Issue a session (one PutItem), optionally for a ``level``. The id derives from the idempotency
    key, so a retry replays it. A suspended game opens none (404: it is not in the catalog users see)."""
    found = current(game_id)
    if found.status != "active":
        raise GameSuspended(f"no game {game_id!r} open for play")
    token = base64.b32encode(hashlib.sha256(f"session\x1f{idem.scope}\x1f{idem.key}".encode()).digest())
    session_id = session_id_for(found.game_id, token.decode("ascii")[:26].lower(), level, found.version)
    now = clock.now()
    expires = now + timedelta(seconds=config().rewards.session_ttl_seconds)
    item = GameSession(
        pk=session_key(session_id),
        sk="SESSION",
        session_id=session_id,
        user_id=user_id,
        game_id=found.game_id,
        state="open",
        opened_at=clock.iso(now),
        expires_at=clock.iso(expires),
        level=level,
        game_version=found.version,
        ttl=int((expires + timedelta(days=7)).timestamp()),
    )
    # the session and the user's opening-rate counter in one transaction (rate_limits.py)
    charge = RateCharge("game_sessions", user_id, now)
    if not write_charged(charge, lambda tx: tx.save(item, condition=GameSession.pk.does_not_exist()), also):
        try:
            first = GameSession.get(session_key(session_id), "SESSION", consistent_read=True)
        except DoesNotExist:  # pragma: no cover - the condition said it exists
            raise
        first_level = None if first.level is None else int(first.level)
        return OpenedSession(first.session_id, first.expires_at, replayed=True, level=first_level)
    return OpenedSession(session_id, clock.iso(expires), replayed=False, level=level)


# ---------------------------------------------------------------------- secrets and signatures
@cache
def _ssm_secret(parameter: str) -> str:
    """One read per parameter (``name:version`` is immutable) and execution environment: this cache is
    the only one, so forgetting it (a new environment) reads again."""
    from aws_lambda_powertools.utilities import parameters

    value = parameters.get_parameter(parameter, decrypt=True, force_fetch=True)
    return str(value)


def forget_secrets() -> None:
    """A new execution environment has read no secret yet (``runtime.new_environment``)."""
    _ssm_secret.cache_clear()


def game_secret(found: Game) -> bytes:
    """The game's HMAC secret. A registered game's is the SSM parameter version written at registration
    (immutable: cached for the process's life). A seeded game's is its parameter's latest value with
    ``GAME_SECRET_SOURCE=ssm`` (set in the template), otherwise (tests) the local one."""
    if found.secret_version is not None:
        return _ssm_secret(f"{found.secret_parameter}:{found.secret_version}").encode()
    if os.environ.get("GAME_SECRET_SOURCE") == "ssm":
        return _ssm_secret(found.secret_parameter).encode()
    return os.environ.get("LOCAL_GAME_SECRET", LOCAL_SECRET_DEFAULT).encode()


def sign(secret: bytes, session_id: str, score: int, duration_ms: int) -> str:
    """Lowercase hex HMAC-SHA256 over ``"{session_id}:{score}:{duration_ms}"`` (CONTRACT.md)."""
    message = f"{session_id}:{score}:{duration_ms}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def verify_signature(found: Game, session_id: str, score: int, duration_ms: int, signature: str) -> None:
    expected = sign(game_secret(found), session_id, score, duration_ms)
    if not hmac.compare_digest(expected, signature):
        raise Forbidden("the result signature does not match")


# ---------------------------------------------------------------------- the session guard
class TooFast(LedgerError):
    """The claimed duration is longer than the session has been open: paid, but held as suspect."""


def session_guard(
    session_id: str,
    user_id: str,
    now: datetime,
    duration_ms: int,
    *,
    check_elapsed: bool,
    closed_by: str,
) -> Guard:
    """Close the session in the paying transaction; its condition replaces a read of the session."""
    now_iso = clock.iso(now)
    condition = (
        (GameSession.user_id == user_id) & (GameSession.state == "open") & (GameSession.expires_at > now_iso)
    )
    slack = config().rewards.duration_slack_ms
    latest_open = clock.iso(now - timedelta(milliseconds=max(duration_ms - slack, 0)))
    if check_elapsed:
        condition &= GameSession.opened_at <= latest_open
    item = GameSession(pk=session_key(session_id), sk="SESSION")

    def refused(old: Mapping[str, Any] | None) -> LedgerError:
        if not old or old.get("user_id", {}).get("S") != user_id:
            return NotFound("no such session")  # another user's session is not revealed
        if old.get("state", {}).get("S") != "open":
            return AlreadyDone("this session already has a result")
        if old.get("expires_at", {}).get("S", "") <= now_iso:
            return Expired("this session has expired")
        return TooFast("the claimed duration is longer than the session was open")

    return Guard.update(
        item,
        [GameSession.state.set("closed"), GameSession.closed_by.set(closed_by)],
        condition,
        refused,
    )

"""Secrets and tokens never reach the logs.

Requests carry a real bearer token (API Gateway passes the ``Authorization`` header on to the function)
and a game result signature; the game secret is configured the way it is in AWS (an SSM SecureString,
``GAME_SECRET_SOURCE=ssm``). Every log line the functions write (Powertools Logger, JSON on stdout, at
the template's level INFO) and anything else written to stdout/stderr is captured, on the happy path,
on refusals (bad signature, replay, another user's session) and on an unexpected error with a traceback.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from infra import token as tokens
from infra.handlers import load_module
from reward_ledger import clock
from reward_ledger.games import catalog, seed_budgets, sign
from reward_ledger.games import sessions as game_sessions
from reward_ledger.ledger import Ledger
from tests.conftest import Api

T0 = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)
SECRET = "s3cret-game-key-that-must-never-be-logged"


@pytest.fixture
def captured_logs(monkeypatch: pytest.MonkeyPatch) -> Iterator[io.StringIO]:
    """Every logging handler's stream redirected to one buffer; service loggers at INFO (the template's)."""
    buffer = io.StringIO()
    loggers = [logging.getLogger(), *(logging.getLogger(n) for n in list(logging.root.manager.loggerDict))]
    saved: list[tuple[logging.StreamHandler[Any], Any]] = []
    levels: list[tuple[logging.Logger, int]] = []
    seen: set[int] = set()
    for logger in loggers:
        for handler in logger.handlers:
            # a handler shared by several loggers is redirected (and later restored) once
            if isinstance(handler, logging.StreamHandler) and id(handler) not in seen:
                seen.add(id(handler))
                saved.append((handler, handler.stream))
                handler.setStream(buffer)
        if any(type(h.formatter).__name__ == "LambdaPowertoolsFormatter" for h in logger.handlers):
            levels.append((logger, logger.level))
            logger.setLevel(logging.INFO)
    try:
        yield buffer
    finally:
        for handler, stream in saved:
            handler.setStream(stream)
        for logger, level in levels:
            logger.setLevel(level)


@pytest.fixture
def games(ledger: Ledger, monkeypatch: pytest.MonkeyPatch) -> Iterator[Api]:
    from aws_lambda_powertools.utilities import parameters

    clock.set_now(T0)
    seed_budgets(ledger, house=100_000)
    ssm = boto3.client("ssm", region_name="us-east-1")
    for game in catalog.config().games:
        ssm.put_parameter(Name=game.secret_parameter, Value=SECRET, Type="SecureString", Overwrite=True)
    monkeypatch.setenv("GAME_SECRET_SOURCE", "ssm")
    game_sessions._ssm_secret.cache_clear()
    parameters.clear_caches()
    yield Api("GamesFunction")
    game_sessions._ssm_secret.cache_clear()
    parameters.clear_caches()


def call(
    api: Api, user: str, token: str, path: str, route: str, params: dict[str, str], body: Any, key: str
) -> Any:
    return api.call(
        "POST",
        path,
        route=route,
        path_parameters=params,
        body=body,
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key, "X-Device-Id": "device-1"},
        user=user,
    )


def open_session(api: Api, user: str, token: str, key: str) -> str:
    status, body, _ = call(
        api,
        user,
        token,
        "/v1/games/puzzle/sessions",
        "/v1/games/{game_id}/sessions",
        {"game_id": "puzzle"},
        {},
        key,
    )
    assert status == 201, body
    return str(body["session_id"])


def submit(api: Api, user: str, token: str, session: str, body: dict[str, Any], key: str) -> Any:
    return call(
        api,
        user,
        token,
        f"/v1/games/sessions/{session}/result",
        "/v1/games/sessions/{session_id}/result",
        {"session_id": session},
        body,
        key,
    )


def test_tokens_secrets_and_signatures_never_appear_in_logs(
    games: Api, captured_logs: io.StringIO, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    alice, bob = tokens.issue("alice"), tokens.issue("bob")
    secrets_seen: list[str] = [SECRET, alice, bob]

    # happy path, then the replay of the same request
    session = open_session(games, "alice", alice, "open-1")
    clock.set_now(T0 + timedelta(seconds=60))
    good = sign(SECRET.encode(), session, 800, 60_000)
    secrets_seen.append(good)
    body = {"score": 800, "duration_ms": 60_000, "signature": good}
    status, answer, _ = submit(games, "alice", alice, session, body, "result-1")
    assert status == 201 and answer["status"] == "credited", answer
    assert submit(games, "alice", alice, session, body, "result-1")[0] == 201

    # refusals: a forged signature (and the one it should have been), another user's session
    second = open_session(games, "alice", alice, "open-2")
    clock.set_now(T0 + timedelta(seconds=120))
    forged = "ab" * 32
    expected = sign(SECRET.encode(), second, 900, 60_000)
    secrets_seen += [forged, expected]
    status, answer, _ = submit(
        games, "alice", alice, second, {"score": 900, "duration_ms": 60_000, "signature": forged}, "r2"
    )
    assert status == 403, answer
    status, answer, _ = submit(
        games, "bob", bob, second, {"score": 900, "duration_ms": 60_000, "signature": expected}, "r3"
    )
    assert status in (403, 404), answer

    # an unexpected failure deep inside: logged with its traceback
    module = load_module("GamesFunction")

    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("the ledger is unreachable")

    monkeypatch.setattr(module, "submit_result", broken)
    third = open_session(games, "alice", alice, "open-3")
    clock.set_now(T0 + timedelta(seconds=180))
    signature = sign(SECRET.encode(), third, 700, 60_000)
    secrets_seen.append(signature)
    status, answer, _ = submit(
        games, "alice", alice, third, {"score": 700, "duration_ms": 60_000, "signature": signature}, "r4"
    )
    assert status == 500 and answer["type"] == "internal-error"

    out, err = capfd.readouterr()
    logs = captured_logs.getvalue() + out + err
    assert "the ledger is unreachable" in logs  # the capture works: the error and its traceback are there
    assert '"level":"ERROR"' in logs.replace(" ", "")  # Powertools' structured lines are captured too
    for value in secrets_seen:
        assert value not in logs
    # nor the token's signature part alone, nor the secret's hex/bytes rendering
    for token in (alice, bob):
        assert token.rsplit(".", 1)[1] not in logs
    assert SECRET.encode().hex() not in logs

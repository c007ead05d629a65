"""Abuse paths of the games: a dropped device id, operator scopes in ``scp``, a crafted scope claim."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from infra import token as tokens
from infra.discovery import Route
from infra.gateway import Gateway
from reward_ledger import clock
from reward_ledger.cap_zones import cap_zone
from reward_ledger.config import ledger_settings
from reward_ledger.games import sign
from reward_ledger.games.catalog import config
from reward_ledger.games.rewards import DailyPlay
from reward_ledger.games.withdrawals import DailyWithdrawn
from reward_ledger.ledger import Ledger
from reward_ledger.rate_limits import rules
from tests.conftest import Api
from tests.games.conftest import SECRET, Player, advance, key


def test_a_result_without_a_device_id_is_held(games_api: Api, games_ledger: Ledger) -> None:
    status, body, _ = Player(games_api, "alice", device=None).play(score=500, duration_ms=30_000)
    assert (status, body["status"]) == (201, "held")
    status, body, _ = Player(games_api, "alice", device="phone-1").play(score=500, duration_ms=30_000)
    assert (status, body["status"]) == (201, "credited")


@pytest.mark.parametrize(
    "claims",
    [
        {"scp": "ledger/admin"},
        {"scp": ["openid", "ledger/admin"]},
        {"scp": "[openid ledger/admin]"},  # a list claim as API Gateway hands it to a function
        {"scope": "openid ledger/admin"},
        {"cognito:groups": "[ledger-admin]"},
    ],
)
def test_operator_scope_is_read_from_scope_scp_or_groups(admin_api: Api, claims: dict[str, Any]) -> None:
    status, body, _ = admin_api.call("GET", "/v1/admin/held-rewards", claims={"sub": "ops", **claims})
    assert status == 200, body


@pytest.mark.parametrize(
    "claims", [{"scope": 5}, {"scp": {"a": "ledger/admin"}}, {"scp": [1, 2]}, {"scope": "ledger/admins"}, {}]
)
def test_a_crafted_scope_claim_grants_nothing(admin_api: Api, claims: dict[str, Any]) -> None:
    status, body, _ = admin_api.call("GET", "/v1/admin/held-rewards", claims={"sub": "ops", **claims})
    assert (status, body["type"]) == (403, "forbidden")


@pytest.mark.parametrize("scope", [5, None, {"x": 1}, [1, "ledger/admin"], ["ledger/admin"]])
def test_the_local_gateway_reads_any_scope_claim_without_crashing(scope: object) -> None:
    gateway = Gateway(SimpleNamespace(jwt_secret=tokens.secret()))  # type: ignore[arg-type]
    route = Route("GET", "/v1/admin/held-rewards", "GamesAdminFunction", "jwt", ("ledger/admin",))
    raw = tokens.issue("ops", extra={"scope": scope})
    reply = gateway.authorize(f"Bearer {raw}", route)
    granted = isinstance(scope, list) and "ledger/admin" in scope
    if granted:
        assert isinstance(reply, dict)
    else:
        assert reply.status == 403 and b"Traceback" not in reply.body  # type: ignore[union-attr]


WEST = {"sub": "alice", "zoneinfo": "Etc/GMT+12"}  # UTC-12: at T0 (10:00 in Shanghai) still 05-31 there


def _open(api: Api, claims: dict[str, Any]) -> str:
    status, body, _ = api.call(
        "POST",
        "/v1/games/puzzle/sessions",
        route="/v1/games/{game_id}/sessions",
        path_parameters={"game_id": "puzzle"},
        body={},
        headers={"Idempotency-Key": key("open")},
        claims=claims,
    )
    assert status == 201, body
    return str(body["session_id"])


def _play(api: Api, claims: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    sid = _open(api, claims)
    advance(seconds=30)
    status, body, _ = api.call(
        "POST",
        f"/v1/games/sessions/{sid}/result",
        route="/v1/games/sessions/{session_id}/result",
        path_parameters={"session_id": sid},
        body={"score": 500, "duration_ms": 30_000, "signature": sign(SECRET, sid, 500, 30_000)},
        headers={"Idempotency-Key": key("result"), "X-Device-Id": "phone-1"},
        claims=claims,
    )
    return status, body


def test_a_zone_claim_does_not_restart_a_reached_game_cap(games_api: Api, games_ledger: Ledger) -> None:
    assert _play(games_api, {"sub": "alice"})[0] == 201  # first use: Asia/Shanghai is recorded
    DailyPlay(pk="GDAY#alice", sk="2026-06-01", earned=config().rewards.daily_cap).save()  # cap reached
    status, body = _play(games_api, WEST)
    assert (status, body["type"]) == (422, "daily-cap-reached")  # was credited: the claim's day was 05-31
    clock.set_now(datetime(2026, 6, 1, 16, 30, tzinfo=UTC))  # Shanghai's day is over: the change applies
    status, body = _play(games_api, WEST)
    assert (status, body["type"]) == (422, "daily-cap-reached")  # 06-01 in UTC-12 too: never restarted
    clock.set_now(datetime(2026, 6, 2, 12, 30, tzinfo=UTC))  # 06-02 00:30 in UTC-12: a new day
    status, body = _play(games_api, WEST)
    assert (status, body["status"]) == (201, "credited")
    assert DailyPlay.get("GDAY#alice", "2026-06-02").earned > 0


def test_the_cap_zone_changes_at_most_once_per_configured_days(games_api: Api, games_ledger: Ledger) -> None:
    assert cap_zone("alice", None) == "Asia/Shanghai"  # first use, no claim: the default
    assert cap_zone("alice", "Etc/GMT+12") == "Asia/Shanghai"  # scheduled, not yet
    clock.set_now(datetime(2026, 6, 1, 16, 1, tzinfo=UTC))
    assert cap_zone("alice", "Etc/GMT+12") == "Etc/GMT+12"
    clock.set_now(datetime(2026, 6, 5, 0, 0, tzinfo=UTC))
    assert cap_zone("alice", "Asia/Tokyo") == "Etc/GMT+12"  # too soon after the last change
    clock.set_now(datetime(2026, 6, 6, 0, 0, tzinfo=UTC))
    assert cap_zone("alice", "Asia/Tokyo") == "Etc/GMT+12"
    days = ledger_settings().time.zone_change_days
    clock.set_now(datetime(2026, 6, 1, 16, 1, tzinfo=UTC) + timedelta(days=days, hours=1))
    assert cap_zone("alice", "Asia/Tokyo") == "Etc/GMT+12"  # scheduled for the end of this local day
    clock.set_now(clock.now() + timedelta(days=1))
    assert cap_zone("alice", None) == "Asia/Tokyo"
    assert cap_zone("bob", "Europe/Berlin") == "Europe/Berlin"


def test_a_zone_claim_does_not_restart_a_reached_withdrawal_limit(
    games_api: Api, withdrawals_api: Api
) -> None:
    for _ in range(2):  # 2 x 6 fen of cash (over the 10 fen threshold); Shanghai recorded on first use
        assert _play(games_api, {"sub": "alice"})[1]["status"] == "credited"
    limit = config().withdrawals.daily_limit
    DailyWithdrawn(pk="GWDAY#alice", sk="2026-06-01", amount=limit).save()  # the day's limit is used

    def withdraw() -> tuple[int, dict[str, Any]]:
        status, body, _ = withdrawals_api.call(
            "POST",
            "/v1/withdrawals",
            body={"amount": 10},
            headers={"Idempotency-Key": key("wd")},
            claims=WEST,
        )
        return status, body

    status, body = withdraw()
    assert status == 422 and body["type"] != "insufficient-funds", body  # was 202 under the claimed day
    clock.set_now(datetime(2026, 6, 2, 12, 30, tzinfo=UTC))
    status, body = withdraw()
    assert status == 202, body


def test_opening_sessions_is_rate_limited_per_user(games_api: Api, games_ledger: Ledger) -> None:
    rule = rules()["game_sessions"]
    for _ in range(rule.limit):
        assert Player(games_api, "alice").open()[0] == 201
    status, body, headers = Player(games_api, "alice").open()
    assert (status, body["type"]) == (429, "rate-limited")
    assert 1 <= int(headers["retry-after"]) <= rule.window_seconds
    assert Player(games_api, "bob").open()[0] == 201  # per user
    replay_key = key("same")
    advance(seconds=rule.window_seconds)
    assert Player(games_api, "alice").open(idem=replay_key)[0] == 201  # a new window
    status, _, headers = Player(games_api, "alice").open(idem=replay_key)
    assert (status, headers.get("idempotent-replayed")) == (201, "true")  # a replay is not counted

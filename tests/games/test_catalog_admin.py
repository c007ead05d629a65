"""Games as data, through the handlers: operators register, edit and suspend games without a redeploy,
a result is judged by the version its session was opened under, and the secret lives in SSM only."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from reward_ledger import runtime
from reward_ledger.games import live, sign
from reward_ledger.ledger import Ledger
from tests.conftest import Api
from tests.games.conftest import Player, advance, key

OPERATOR = {"sub": "ops", "scope": "ledger/admin"}
SPEC: dict[str, Any] = {
    "title": "Tap tap",
    "title_zh": "点点",
    "max_score": 100,
    "max_score_per_second": 10,
    "min_duration_ms": 1000,
    "max_duration_ms": 60_000,
    "rewards": [{"min_score": 0, "fen": 1}, {"min_score": 50, "fen": 7}],
}


def admin(api: Api, method: str, path: str, route: str, body: Any = None, **kw: Any) -> tuple[int, Any, Any]:
    params = {"game_id": path.split("/")[4]} if "{game_id}" in route else None
    headers = {"Idempotency-Key": kw.pop("idem", None) or key("adm")} if method == "POST" else None
    claims = kw.pop("claims", OPERATOR)
    return api.call(
        method, path, route=route, path_parameters=params, body=body, headers=headers, claims=claims, **kw
    )


def register(api: Api, game_id: str = "tap-tap", **extra: Any) -> dict[str, Any]:
    status, body, _ = admin(
        api, "POST", "/v1/admin/games", "/v1/admin/games", {"game_id": game_id, **SPEC, **extra}
    )
    assert status == 201, body
    return body


def edit(api: Api, game_id: str, spec: dict[str, Any]) -> dict[str, Any]:
    path = f"/v1/admin/games/{game_id}"
    status, body, _ = admin(api, "PUT", path, "/v1/admin/games/{game_id}", spec)
    assert status == 200, body
    return body


def set_status(api: Api, game_id: str, status: str) -> dict[str, Any]:
    path = f"/v1/admin/games/{game_id}/status"
    code, body, _ = admin(api, "PUT", path, "/v1/admin/games/{game_id}/status", {"status": status})
    assert code == 200, body
    return body


def play(player: Player, game_id: str, secret: str, score: int, duration_ms: int = 20_000) -> dict[str, Any]:
    status, opened, _ = player.open(game_id)
    assert status == 201, opened
    advance(milliseconds=duration_ms)
    sid = opened["session_id"]
    signature = sign(secret.encode(), sid, score, duration_ms)
    status, body, _ = player.submit(sid, score, duration_ms, signature=signature)
    assert status == 201, body
    return body


def test_an_operator_registers_a_game_and_a_user_plays_it_with_no_redeploy(
    games_api: Api, admin_api: Api, ledger: Ledger
) -> None:
    registered = register(admin_api)
    assert registered["version"] == 1 and registered["status"] == "active"
    assert len(registered["secret"]) == 64
    listed = games_api.call("GET", "/v1/games")[1]["games"]
    assert {"game_id": "tap-tap", "title": "Tap tap", "title_zh": "点点"} in listed
    paid = play(Player(games_api), "tap-tap", registered["secret"], score=60)
    assert (paid["status"], paid["granted"]) == ("credited", 7)
    forged = Player(games_api, user="bob")
    _, opened, _ = forged.open("tap-tap")
    advance(seconds=20)
    wrong = sign(b"local-game-secret", opened["session_id"], 60, 20_000)  # the seeded games' secret
    assert forged.submit(opened["session_id"], 60, 20_000, signature=wrong)[0] == 403


def test_the_secret_is_in_ssm_only_answered_once_and_never_read_back(
    games_api: Api, admin_api: Api, capsys: pytest.CaptureFixture[str]
) -> None:
    idem = key("reg")
    first = admin(
        admin_api, "POST", "/v1/admin/games", "/v1/admin/games", {"game_id": "tap-tap", **SPEC}, idem=idem
    )
    secret = first[1]["secret"]
    ssm = boto3.client("ssm", region_name="us-east-1")
    stored = ssm.get_parameter(Name="/reward-ledger/games/tap-tap/secret", WithDecryption=True)["Parameter"]
    assert (stored["Type"], stored["Value"]) == ("SecureString", secret)
    replay = admin(
        admin_api, "POST", "/v1/admin/games", "/v1/admin/games", {"game_id": "tap-tap", **SPEC}, idem=idem
    )
    assert replay[0] == 201 and replay[2].get("idempotent-replayed") == "true"
    assert replay[1]["secret"] is None and replay[1]["version"] == 1
    again = admin(admin_api, "POST", "/v1/admin/games", "/v1/admin/games", {"game_id": "tap-tap", **SPEC})
    assert (again[0], again[1]["type"]) == (409, "already-done")
    view = admin(admin_api, "GET", "/v1/admin/games/tap-tap", "/v1/admin/games/{game_id}")
    assert view[0] == 200 and view[1]["secret_parameter"] == "/reward-ledger/games/tap-tap/secret"
    play(Player(games_api), "tap-tap", secret, score=10)
    table = boto3.client("dynamodb", region_name="us-east-1")
    name = table.list_tables()["TableNames"][0]
    items = json.dumps(table.scan(TableName=name)["Items"])
    assert secret not in items and secret not in json.dumps(view[1]) and secret not in json.dumps(replay[1])
    assert secret not in capsys.readouterr().out  # every log record and metric line of the functions


def test_a_suspended_game_opens_no_session_and_leaves_the_catalog(games_api: Api, admin_api: Api) -> None:
    secret = register(admin_api)["secret"]
    player = Player(games_api)
    status, before, _ = player.open("tap-tap")
    assert status == 201
    assert set_status(admin_api, "tap-tap", "suspended") == {
        "game_id": "tap-tap",
        "version": 1,
        "status": "suspended",
        "changed": True,
    }
    assert set_status(admin_api, "tap-tap", "suspended")["changed"] is False
    advance(seconds=live.CATALOG_TTL_SECONDS)  # the games function's view of the entry is at most this old
    refused = player.open("tap-tap")
    assert (refused[0], refused[1]["type"]) == (404, "not-found")
    assert "tap-tap" not in {g["game_id"] for g in games_api.call("GET", "/v1/games")[1]["games"]}
    sid = before["session_id"]  # opened while approved: still judged and paid by its version
    paid = player.submit(sid, 60, 20_000, signature=sign(secret.encode(), sid, 60, 20_000))
    assert (paid[0], paid[1]["granted"]) == (201, 7)
    set_status(admin_api, "tap-tap", "active")
    advance(seconds=live.CATALOG_TTL_SECONDS)
    assert player.open("tap-tap")[0] == 201


def test_a_result_is_judged_by_the_version_its_session_was_opened_under(
    games_api: Api, admin_api: Api, ledger: Ledger
) -> None:
    secret = register(admin_api)["secret"]
    player = Player(games_api)
    _, old, _ = player.open("tap-tap")
    richer = {**SPEC, "max_score": 200, "rewards": [{"min_score": 0, "fen": 2}, {"min_score": 50, "fen": 9}]}
    assert edit(admin_api, "tap-tap", richer) == {
        "game_id": "tap-tap",
        "version": 2,
        "status": "active",
        "changed": True,
    }
    assert edit(admin_api, "tap-tap", richer)["changed"] is False  # a retried PUT writes nothing
    runtime.new_environment()  # another execution environment, which only ever saw version 2
    advance(seconds=live.CATALOG_TTL_SECONDS)
    _, new, _ = player.open("tap-tap")
    assert old["session_id"].endswith(".v1") and new["session_id"].endswith(".v2")
    advance(seconds=20)
    for opened, fen, version in ((old, 7, 1), (new, 9, 2)):
        sid = opened["session_id"]
        status, body, _ = player.submit(
            sid,
            150 if version == 2 else 60,
            20_000,
            signature=sign(secret.encode(), sid, 150 if version == 2 else 60, 20_000),
        )
        assert (status, body["granted"]) == (201, fen), body
        header = ledger.entry(body["entry_id"])
        assert header is not None and header.metadata["game_version"] == version
    view = admin(
        admin_api, "GET", "/v1/admin/games/tap-tap", "/v1/admin/games/{game_id}", query={"version": "1"}
    )
    assert view[1]["version"] == 1 and view[1]["current_version"] == 2 and view[1]["spec"]["max_score"] == 100


@pytest.mark.parametrize(
    "claims",
    [{"sub": "alice"}, {"sub": "staff", "scope": "ledger/merchant", "merchant_id": "m1"}],
    ids=["plain-user", "merchant-staff"],
)
def test_plain_users_and_merchant_staff_are_refused_on_every_games_admin_route(
    admin_api: Api, claims: dict[str, Any]
) -> None:
    calls = [
        ("POST", "/v1/admin/games", "/v1/admin/games", {"game_id": "tap-tap", **SPEC}),
        ("PUT", "/v1/admin/games/puzzle", "/v1/admin/games/{game_id}", SPEC),
        ("PUT", "/v1/admin/games/puzzle/status", "/v1/admin/games/{game_id}/status", {"status": "suspended"}),
        ("GET", "/v1/admin/games/puzzle", "/v1/admin/games/{game_id}", None),
    ]
    for method, path, route, body in calls:
        status, problem, _ = admin(admin_api, method, path, route, body, claims=claims)
        assert (status, problem["type"]) == (403, "forbidden"), (method, path)
    view = admin(admin_api, "GET", "/v1/admin/games/puzzle", "/v1/admin/games/{game_id}")[1]
    assert (view["version"], view["status"]) == (1, "active")  # nothing changed
    assert boto3.client("ssm", region_name="us-east-1").describe_parameters()["Parameters"] == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"rewards": [{"min_score": 5, "fen": 1}]}, "rewards"),
        ({"min_duration_ms": 90_000}, "min_duration_ms"),
        ({"rewards": [{"min_score": 0, "fen": 10**6}]}, "fen"),
        ({"max_score": 1.5}, "max_score"),
        ({"secret": "mine"}, "secret"),
    ],
)
def test_a_bad_game_is_a_400_naming_the_field_and_changes_nothing(
    admin_api: Api, change: dict[str, Any], field: str
) -> None:
    status, problem, _ = admin(
        admin_api, "POST", "/v1/admin/games", "/v1/admin/games", {"game_id": "tap-tap", **SPEC, **change}
    )
    assert (status, problem["type"]) == (400, "validation-error") and field in problem["detail"]
    assert admin(admin_api, "GET", "/v1/admin/games/tap-tap", "/v1/admin/games/{game_id}")[0] == 404

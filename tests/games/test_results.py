"""Game sessions and results over HTTP: one transaction pays and closes the session, exactly once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from reward_ledger import clock
from reward_ledger.games import config, sign
from reward_ledger.games.rewards import DailyPlay
from reward_ledger.games.sessions import GameSession, session_key
from reward_ledger.ledger import (
    EntryRequest,
    IdempotencyKey,
    Ledger,
    Leg,
    external_account,
    reconcile,
    user_account,
)
from tests.conftest import Api
from tests.games.conftest import HOUSE_FUNDS, SECRET, T0, Player, advance, key

CASH = user_account("alice", "cash", "CNY")


def house_left(ledger: Ledger) -> int:
    return ledger.balance(config().rewards.house)


def test_catalog_lists_three_games(games_api: Api) -> None:
    status, body, _ = games_api.call("GET", "/v1/games")
    assert status == 200
    assert {g["game_id"] for g in body["games"]} == {"puzzle", "trivia", "physics"}
    assert all(set(g) >= {"game_id", "title"} for g in body["games"])


def test_a_result_pays_the_table_from_the_house_and_closes_the_session(
    games_api: Api, games_ledger: Ledger
) -> None:
    player = Player(games_api)
    status, opened, _ = player.open("puzzle")
    assert status == 201
    assert opened["session_id"].startswith("puzzle.")
    assert opened["expires_at"] == clock.iso(T0 + timedelta(seconds=1800))
    advance(seconds=30)
    status, body, headers = player.submit(opened["session_id"], 500, 30_000)
    assert status == 201, body
    assert (body["status"], body["requested"], body["granted"], body["sponsored"]) == ("credited", 6, 6, 0)
    assert body["responsible_play"]["past_daily_reminder"] is False
    assert "idempotent-replayed" not in headers
    assert (
        games_ledger.balance(CASH) == 6
    )  # sponsors pay through campaigns (tests/merchants/test_triggers.py)
    assert house_left(games_ledger) == HOUSE_FUNDS - 6
    session = GameSession.get(session_key(opened["session_id"]), "SESSION")
    assert (session.state, session.closed_by) == ("closed", body["entry_id"])
    assert reconcile().ok


def test_replay_returns_the_first_answer_and_pays_once(games_api: Api, games_ledger: Ledger) -> None:
    player = Player(games_api)
    _, opened, _ = player.open()
    advance(seconds=30)
    first = player.submit(opened["session_id"], 500, 30_000, idem="r-1")
    again = player.submit(opened["session_id"], 500, 30_000, idem="r-1")
    assert again[0] == first[0] == 201
    assert again[1] == first[1]
    assert again[2]["idempotent-replayed"] == "true"
    assert games_ledger.balance(CASH) == 6
    # the same key with another body is a conflict
    status, body, _ = player.submit(opened["session_id"], 400, 30_000, idem="r-1")
    assert (status, body["type"]) == (409, "idempotency-conflict")


def test_opening_a_session_replays_under_the_same_key(games_api: Api) -> None:
    player = Player(games_api)
    first = player.open(idem="o-1")
    advance(seconds=5)
    again = player.open(idem="o-1")
    assert first[1] == again[1]
    assert again[2]["idempotent-replayed"] == "true"
    assert player.open(idem="o-2")[1]["session_id"] != first[1]["session_id"]


def test_a_session_may_be_opened_for_a_level(games_api: Api) -> None:
    def opened(body: dict[str, Any], idem: str) -> tuple[int, dict[str, Any]]:
        status, reply, _ = games_api.call(
            "POST",
            "/v1/games/puzzle/sessions",
            route="/v1/games/{game_id}/sessions",
            path_parameters={"game_id": "puzzle"},
            body=body,
            headers={"Idempotency-Key": idem},
            user="alice",
        )
        return status, reply

    status, body = opened({"level": 3}, "lvl-1")
    assert (status, body["level"]) == (201, 3)
    assert GameSession.get(session_key(body["session_id"]), "SESSION").level == 3
    assert opened({"level": 3}, "lvl-1")[1] == body  # a replay answers the level too
    assert "level" not in opened({}, "lvl-2")[1]
    status, problem = opened({"level": 0}, "lvl-3")
    assert (status, problem["type"]) == (400, "validation-error")


def test_a_used_session_cannot_pay_twice(games_api: Api, games_ledger: Ledger) -> None:
    player = Player(games_api)
    _, opened, _ = player.open()
    advance(seconds=30)
    assert player.submit(opened["session_id"], 500, 30_000)[0] == 201
    status, body, _ = player.submit(opened["session_id"], 500, 30_000)  # new key, same session
    assert (status, body["type"]) == (409, "already-done")
    assert games_ledger.balance(CASH) == 6


def test_another_users_session_is_not_found_and_stays_usable(games_api: Api, games_ledger: Ledger) -> None:
    alice = Player(games_api, "alice")
    _, opened, _ = alice.open()
    advance(seconds=30)
    status, body, _ = alice.submit(opened["session_id"], 500, 30_000, user="mallory")
    assert (status, body["type"]) == (404, "not-found")
    assert games_ledger.balance(user_account("mallory", "cash", "CNY")) == 0
    assert alice.submit(opened["session_id"], 500, 30_000)[0] == 201


def test_a_forged_signature_is_forbidden_and_changes_nothing(games_api: Api, games_ledger: Ledger) -> None:
    player = Player(games_api)
    _, opened, _ = player.open()
    advance(seconds=30)
    honest = player.submit  # the client signs 500; the attacker sends 900 with that signature
    signature = sign(SECRET, opened["session_id"], 500, 30_000)
    status, body, headers = honest(opened["session_id"], 900, 30_000, signature=signature)
    assert (status, body["type"]) == (403, "forbidden")
    assert headers["content-type"] == "application/problem+json"
    wrong_key = sign(b"guessed-secret", opened["session_id"], 900, 30_000)
    assert honest(opened["session_id"], 900, 30_000, signature=wrong_key)[0] == 403
    assert games_ledger.balance(CASH) == 0
    assert honest(opened["session_id"], 500, 30_000, signature=signature)[0] == 201


def test_an_expired_session_is_refused(games_api: Api, games_ledger: Ledger) -> None:
    player = Player(games_api)
    _, opened, _ = player.open()
    advance(minutes=31)
    status, body, _ = player.submit(opened["session_id"], 500, 30_000)
    assert (status, body["type"]) == (409, "already-done")
    assert "expired" in body["detail"]
    assert games_ledger.balance(CASH) == 0


@pytest.mark.parametrize(
    ("session_id", "expected"),
    [("chess.abcdefghijklmnopqrstuvwxyz", 404), ("puzzle.aaaaaaaaaaaaaaaaaaaaaaaaaa", 404), ("nodot", 400)],
)
def test_unknown_sessions(games_api: Api, session_id: str, expected: int) -> None:
    status, body, _ = Player(games_api).submit(session_id, 1, 30_000)
    assert status == expected
    assert body["type"] == ("not-found" if expected == 404 else "validation-error")


def test_unknown_game_cannot_open_a_session(games_api: Api) -> None:
    status, body, _ = Player(games_api).open("chess")
    assert (status, body["type"]) == (404, "not-found")


@pytest.mark.parametrize(
    "body",
    [
        {"score": 1.5, "duration_ms": 30_000, "signature": "0" * 64},
        {"score": "10", "duration_ms": 30_000, "signature": "0" * 64},
        {"score": -1, "duration_ms": 30_000, "signature": "0" * 64},
        {"score": 10, "duration_ms": 0, "signature": "0" * 64},
        {"score": 10, "duration_ms": 30_000, "signature": "XYZ"},
        {"score": 10, "duration_ms": 30_000},
        {"score": 10, "duration_ms": 30_000, "signature": "0" * 64, "user_id": "bob"},
    ],
)
def test_malformed_results_are_400(games_api: Api, body: dict) -> None:
    player = Player(games_api)
    _, opened, _ = player.open()
    status, problem, headers = player.submit(opened["session_id"], 0, 0, body=body)
    assert (status, problem["type"]) == (400, "validation-error"), problem
    assert headers["content-type"] == "application/problem+json"


def test_posts_need_an_idempotency_key_and_a_token(games_api: Api) -> None:
    status, body, _ = games_api.call(
        "POST",
        "/v1/games/puzzle/sessions",
        route="/v1/games/{game_id}/sessions",
        path_parameters={"game_id": "puzzle"},
        body={},
    )
    assert (status, body["type"]) == (400, "validation-error")
    status, body, _ = games_api.call("GET", "/v1/games", user=None)
    assert (status, body["type"]) == (401, "unauthorized")
    status, body, _ = games_api.call(
        "POST",
        "/v1/games/puzzle/sessions",
        route="/v1/games/{game_id}/sessions",
        path_parameters={"game_id": "puzzle"},
        body={"extra": 1},
        headers={"Idempotency-Key": key()},
    )
    assert (status, body["type"]) == (400, "validation-error")


def test_daily_cap_clamps_then_refuses_and_resets_the_next_local_day(
    games_api: Api, games_ledger: Ledger
) -> None:
    cap = config().rewards.daily_cap  # 200 fen; a puzzle score of 500 pays 6, of 800 pays 10
    player = Player(games_api)
    answers = [player.play(score=500, duration_ms=60_000)[1]]
    for _ in range(20):  # 6 + 19 x 10 = 196, then 4 of 10
        status, body, _ = player.play(score=800, duration_ms=60_000)
        assert status == 201, body
        answers.append(body)
    assert [a["granted"] for a in answers[:20]] == [6] + [10] * 19
    last = answers[20]
    assert (last["requested"], last["granted"], last["sponsored"]) == (10, 4, 0)
    assert games_ledger.balance(CASH) == cap
    status, body, _ = player.play(score=800, duration_ms=60_000)
    assert (status, body["type"]) == (422, "daily-cap-reached")
    assert games_ledger.balance(CASH) == cap
    # 23:59 local is still the same day; 00:00 local (16:00 UTC) starts a new one
    clock.set_now(T0.replace(hour=15, minute=58))
    assert player.play(score=800, duration_ms=60_000)[0] == 422
    clock.set_now(T0.replace(hour=16, minute=0))
    status, body, _ = player.play(score=800, duration_ms=60_000)
    assert (status, body["granted"]) == (201, 10)
    assert games_ledger.balance(CASH) == cap + 10
    assert reconcile().ok


def test_the_cap_follows_the_users_time_zone(games_api: Api, games_ledger: Ledger) -> None:
    # 2026-06-01 23:30 in Berlin is already 06-02 in Shanghai: same UTC instant, other local day
    clock.set_now(T0.replace(hour=21, minute=30))
    berlin = {"sub": "alice", "zoneinfo": "Europe/Berlin"}
    _, opened, _ = games_api.call(  # first use: Berlin is recorded as the zone the caps follow
        "POST",
        "/v1/games/puzzle/sessions",
        route="/v1/games/{game_id}/sessions",
        path_parameters={"game_id": "puzzle"},
        body={},
        headers={"Idempotency-Key": key()},
        claims=berlin,
    )
    advance(seconds=30)
    sid = opened["session_id"]
    status, _, _ = games_api.call(
        "POST",
        f"/v1/games/sessions/{sid}/result",
        route="/v1/games/sessions/{session_id}/result",
        path_parameters={"session_id": sid},
        body={"score": 500, "duration_ms": 30_000, "signature": sign(SECRET, sid, 500, 30_000)},
        headers={"Idempotency-Key": key(), "X-Device-Id": "phone-1"},
        claims=berlin,
    )
    assert status == 201
    assert DailyPlay.get("GDAY#alice", "2026-06-01").earned == 6


def test_a_dry_house_budget_refuses_without_closing_the_session(games_api: Api, games_ledger: Ledger) -> None:
    house = config().rewards.house
    for shard, left in enumerate(games_ledger.shard_balances(house)):
        games_ledger.transfer(
            EntryRequest(
                idempotency=IdempotencyKey("test", f"drain-house-{shard}"),
                kind="test.drain",
                legs=[Leg(house, external_account("house", "CNY"), left, debit_shard=shard)],
            )
        )
    player = Player(games_api)
    _, opened, _ = player.open()
    advance(seconds=30)
    status, body, _ = player.submit(opened["session_id"], 500, 30_000)
    assert (status, body["type"]) == (422, "insufficient-funds")
    assert GameSession.get(session_key(opened["session_id"]), "SESSION").state == "open"
    assert games_ledger.balance(CASH) == 0


def test_responsible_play_reminder_after_an_hour_of_play(games_api: Api, games_ledger: Ledger) -> None:
    player = Player(games_api)
    flags = []
    for _ in range(5):  # 5 x 14 minutes: the fifth result passes 60 minutes
        status, body, _ = player.play(score=100, duration_ms=14 * 60_000)
        assert status == 201, body
        flags.append(body["responsible_play"]["past_daily_reminder"])
    assert flags == [False, False, False, False, True]
    assert games_ledger.balance(CASH) == 5 * 1  # the reminder never blocks a reward

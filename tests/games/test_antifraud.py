"""Suspect results are held (pending) instead of paid; an operator approves or rejects them."""

from __future__ import annotations

from typing import Any

import pytest

from reward_ledger.games import config
from reward_ledger.games import review as review_module
from reward_ledger.ledger import Ledger, hold_account, reconcile, user_account
from tests.conftest import Api
from tests.games.conftest import HOUSE_FUNDS, Player, advance, key

CASH = user_account("alice", "cash", "CNY")
HOLD = hold_account("CNY")
ADMIN = {"sub": "op-1", "scope": "openid ledger/admin"}


def review(admin_api: Api, entry_id: str, action: str, claims: dict[str, Any] | None = None, **kw: Any):
    return admin_api.call(
        "POST",
        f"/v1/admin/held-rewards/{entry_id}/{action}",
        route=f"/v1/admin/held-rewards/{{entry_id}}/{action}",
        path_parameters={"entry_id": entry_id},
        body={"note": "checked the replay"},
        headers={"Idempotency-Key": kw.get("idem") or key("review")},
        claims=claims or ADMIN,
    )


def house_left(ledger: Ledger) -> int:
    return ledger.balance(config().rewards.house)


@pytest.mark.parametrize(
    ("score", "duration_ms"),
    [(1001, 60_000), (900, 30_000), (10, 2_000), (10, 1_000_000)],
    ids=["above-max", "score-rate", "too-short", "too-long"],
)
def test_implausible_numbers_are_held_not_paid(
    games_api: Api, games_ledger: Ledger, score: int, duration_ms: int
) -> None:
    status, body, _ = Player(games_api).play(score=score, duration_ms=duration_ms)
    assert status == 201, body
    assert body["status"] == "held"
    assert games_ledger.balance(CASH) == 0
    assert games_ledger.balance(HOLD) == body["granted"] > 0
    entry = games_ledger.entry(body["entry_id"])
    assert entry is not None
    assert entry.state == "pending"
    assert entry.metadata["suspect"]


def test_a_duration_longer_than_the_session_was_open_is_held(games_api: Api, games_ledger: Ledger) -> None:
    player = Player(games_api)
    _, opened, _ = player.open()
    advance(seconds=20)  # claims 60 s after 20 s
    status, body, _ = player.submit(opened["session_id"], 500, 60_000)
    assert (status, body["status"]) == (201, "held")
    entry = games_ledger.entry(body["entry_id"])
    assert entry is not None
    assert entry.metadata["suspect"] == ["duration-exceeds-session"]


def test_too_many_results_in_a_window_are_held(games_api: Api, games_ledger: Ledger) -> None:
    limit = config().antifraud.results_per_window
    player = Player(games_api)
    sessions = [player.open()[1]["session_id"] for _ in range(limit + 2)]
    advance(seconds=15)  # all results land in the same minute
    statuses = [player.submit(s, 10, 12_000)[1]["status"] for s in sessions]
    assert statuses == ["credited"] * limit + ["held", "held"]
    advance(minutes=1)
    assert player.play(score=10, duration_ms=12_000)[1]["status"] == "credited"


def test_a_device_shared_by_too_many_accounts_gets_held_results(games_api: Api, games_ledger: Ledger) -> None:
    limit = config().antifraud.max_accounts_per_device
    outcomes = []
    for i in range(limit + 1):
        status, body, _ = Player(games_api, f"farm-{i}", device="dev-1").play()
        assert status == 201
        outcomes.append(body["status"])
    assert outcomes == ["credited"] * limit + ["held"]
    # the accounts already known on the device keep being paid; another device is fine
    assert Player(games_api, "farm-0", device="dev-1").play()[1]["status"] == "credited"
    assert Player(games_api, f"farm-{limit}", device="dev-2").play()[1]["status"] == "credited"


def test_a_bad_device_header_is_a_validation_error(games_api: Api) -> None:
    status, body, _ = Player(games_api, device="bad device!").play()
    assert (status, body["type"]) == (400, "validation-error")


def test_held_rewards_approved_and_rejected_with_an_audit_trail(
    games_api: Api, admin_api: Api, games_ledger: Ledger
) -> None:
    player = Player(games_api)
    _, first, _ = player.play(score=1001, duration_ms=60_000)  # held: 10
    _, second, _ = player.play(score=1001, duration_ms=60_000)
    assert games_ledger.balance(HOLD) == 20
    assert house_left(games_ledger) == HOUSE_FUNDS - 20

    status, body, headers = review(admin_api, first["entry_id"], "approve")
    assert status == 201, body
    assert body == {"entry_id": first["entry_id"], "state": "posted"}
    status, body, _ = review(admin_api, second["entry_id"], "reject")
    assert (status, body["state"]) == (201, "voided")

    assert games_ledger.balance(CASH) == 10
    assert games_ledger.balance(HOLD) == 0
    assert house_left(games_ledger) == HOUSE_FUNDS - 10
    approved = games_ledger.entry(first["entry_id"])
    rejected = games_ledger.entry(second["entry_id"])
    assert approved is not None
    assert rejected is not None
    assert (approved.state, approved.resolved_by) == ("posted", "post:operator:op-1")
    assert (rejected.state, rejected.resolved_by) == ("voided", "void:operator:op-1")

    # approving again replays; rejecting an approved reward is refused; money never moves twice
    status, _, headers = review(admin_api, first["entry_id"], "approve")
    assert (status, headers.get("idempotent-replayed")) == (201, "true")
    status, body, _ = review(admin_api, first["entry_id"], "reject")
    assert (status, body["type"]) == (409, "already-done")
    assert games_ledger.balance(CASH) == 10
    assert reconcile().ok


def test_normal_tokens_cannot_review(games_api: Api, admin_api: Api, games_ledger: Ledger) -> None:
    _, held, _ = Player(games_api).play(score=1001, duration_ms=60_000)
    for claims in ({"sub": "alice"}, {"sub": "alice", "scope": "openid profile"}):
        status, body, _ = review(admin_api, held["entry_id"], "approve", claims)
        assert (status, body["type"]) == (403, "forbidden")
    status, _, _ = review(
        admin_api, held["entry_id"], "approve", {"sub": "op-2", "cognito:groups": ["ledger-admin"]}
    )
    assert status == 201
    assert games_ledger.balance(CASH) == 10


def test_only_held_game_rewards_can_be_reviewed(games_api: Api, admin_api: Api, games_ledger: Ledger) -> None:
    _, credited, _ = Player(games_api).play()
    status, body, _ = review(admin_api, credited["entry_id"], "approve")
    assert (status, body["type"]) == (404, "not-found")
    status, body, _ = review(admin_api, "enosuchentry", "reject")
    assert (status, body["type"]) == (404, "not-found")


def queue(admin_api: Api, claims: dict[str, Any] | None = None, **query: str):
    return admin_api.call("GET", "/v1/admin/held-rewards", query=query or None, claims=claims or ADMIN)


def test_the_review_queue_lists_exactly_the_pending_held_rewards(
    games_api: Api, admin_api: Api, games_ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    player = Player(games_api)
    held = [player.play(score=1001, duration_ms=60_000)[1]["entry_id"] for _ in range(3)]
    assert player.play()[1]["status"] == "credited"  # a paid result is never queued
    status, body, _ = queue(admin_api)
    assert status == 200, body
    assert [h["entry_id"] for h in body["held"]] == held  # oldest first
    first = body["held"][0]
    assert (first["user_id"], first["game_id"], first["granted"], first["sponsored"]) == (
        "alice",
        "puzzle",
        10,
        0,
    )
    assert first["suspect"] == ["score-above-max"] and first["review_by"] > first["held_at"]
    assert body["next"] is None

    monkeypatch.setattr(review_module, "PAGE_LIMIT", 2)
    _, page, _ = queue(admin_api)
    assert [h["entry_id"] for h in page["held"]] == held[:2]
    _, rest, _ = queue(admin_api, after=page["next"])
    assert [h["entry_id"] for h in rest["held"]] == held[2:]
    monkeypatch.setattr(review_module, "PAGE_LIMIT", 100)

    assert review(admin_api, held[0], "approve")[0] == 201
    assert review(admin_api, held[1], "reject")[0] == 201
    games_ledger.time_out(held[2])  # nobody reviewed it in time: voided by the hold timeout
    assert queue(admin_api)[1]["held"] == []
    assert queue(admin_api, day="2020-01-01")[1]["held"] == []
    assert reconcile().ok


def test_only_operators_see_the_review_queue(games_api: Api, admin_api: Api) -> None:
    Player(games_api).play(score=1001, duration_ms=60_000)
    status, body, _ = queue(admin_api, {"sub": "alice"})
    assert (status, body["type"]) == (403, "forbidden")
    for bad in ({"day": "yesterday"}, {"after": "not-a-position"}):
        status, body, _ = queue(admin_api, **bad)
        assert (status, body["type"]) == (400, "validation-error")

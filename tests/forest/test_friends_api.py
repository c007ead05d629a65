"""Friends: mutual friendship, stealing rules, watering and tree planting."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from reward_ledger import clock, forest
from reward_ledger.forest import reads as forest_reads
from reward_ledger.ledger import Ledger, reconcile
from tests.conftest import Api
from tests.forest.conftest import befriend, pay, sweep_all

STEAL = "/v1/forest/friends/{friend_id}/steal"
WATER = "/v1/forest/friends/{friend_id}/water"


def steal(api: Api, thief: str, owner: str, lot_id: str, key: str) -> tuple[int, dict, dict]:
    return api.call(
        "POST",
        f"/v1/forest/friends/{owner}/steal",
        route=STEAL,
        path_parameters={"friend_id": owner},
        body={"lot_id": lot_id},
        headers={"Idempotency-Key": key},
        user=thief,
    )


def water(api: Api, user: str, friend: str, amount: object, key: str) -> tuple[int, dict, dict]:
    return api.call(
        "POST",
        f"/v1/forest/friends/{friend}/water",
        route=WATER,
        path_parameters={"friend_id": friend},
        body={"amount": amount},
        headers={"Idempotency-Key": key},
        user=user,
    )


def test_friendship_needs_both_sides(friends_api: Api) -> None:
    def ask(user: str, other: str) -> tuple[int, dict, dict]:
        return friends_api.call(
            "PUT",
            f"/v1/friends/{other}",
            route="/v1/friends/{friend_id}",
            path_parameters={"friend_id": other},
            user=user,
        )

    assert ask("alice", "bob")[:2] == (200, {"friend_id": "bob", "status": "requested"})
    assert ask("alice", "bob")[1]["status"] == "requested"  # asking again changes nothing
    assert ask("bob", "alice")[1]["status"] == "friends"
    assert ask("alice", "bob")[1]["status"] == "friends"
    status, body, _ = ask("alice", "alice")
    assert (status, body["type"]) == (400, "validation-error")
    status, body, _ = ask("alice", "用" * 50)  # too long once encoded ("bad id!" is an encodable id)
    assert (status, body["type"]) == (400, "validation-error")


def test_stealing_rules(forest_api: Api, ledger: Ledger, now: datetime) -> None:
    lot = pay("alice", "utility", "p1")["lot_id"]  # 262 g
    befriend("carol", "dave")  # friends of each other, not of alice
    status, body, _ = steal(forest_api, "bob", "alice", lot, "s1")
    assert (status, body["type"]) == (403, "forbidden")  # not friends at all
    Api("FriendsFunction").call(
        "PUT",
        "/v1/friends/alice",
        route="/v1/friends/{friend_id}",
        path_parameters={"friend_id": "alice"},
        user="bob",
    )
    status, body, _ = steal(forest_api, "bob", "alice", lot, "s2")
    assert (status, body["type"]) == (403, "forbidden")  # only bob asked
    befriend("alice", "bob")
    befriend("alice", "carol")
    befriend("alice", "dave")
    befriend("alice", "erin")

    status, body, _ = steal(forest_api, "bob", "alice", lot, "s3")
    assert (status, body["type"]) == (422, "not-ripe")

    clock.set_now(now + timedelta(hours=1))
    status, first, _ = steal(forest_api, "bob", "alice", lot, "s4")
    assert (status, first["stolen"]) == (201, 52)  # 20 % of 262
    status, replay, headers = steal(forest_api, "bob", "alice", lot, "s4")
    assert (status, replay, headers["idempotent-replayed"]) == (201, first, "true")
    status, body, _ = steal(forest_api, "bob", "alice", lot, "s5")
    assert (status, body["type"]) == (409, "already-done")  # once per lot per friend
    assert steal(forest_api, "carol", "alice", lot, "s6")[1]["stolen"] == 52
    assert steal(forest_api, "dave", "alice", lot, "s7")[1]["stolen"] == 52
    status, body, _ = steal(forest_api, "erin", "alice", lot, "s8")
    assert (status, body["type"]) == (409, "already-done")  # thieves never take more than 60 %
    _, view, _ = forest_api.call("GET", "/v1/forest")
    assert view["lots"][0]["amount"] == 262 - 3 * 52
    assert ledger.balance(forest.LOT_POOL) == 106
    assert forest.pool_mismatches(ledger) == []

    _, collected, _ = forest_api.call("POST", "/v1/forest/collect", body={}, headers={"Idempotency-Key": "c"})
    assert collected["collected"] == 106
    befriend("alice", "frank")
    status, body, _ = steal(forest_api, "frank", "alice", lot, "s9")
    assert (status, body["type"]) == (409, "already-done")  # collected lots are gone
    assert ledger.balances([forest.energy(u) for u in ("alice", "bob", "carol", "dave")]) == {
        forest.energy("alice"): 106,
        forest.energy("bob"): 52,
        forest.energy("carol"): 52,
        forest.energy("dave"): 52,
    }
    assert reconcile().ok
    assert forest.pool_mismatches(ledger) == []


def test_a_lot_cannot_be_stolen_after_midnight_and_unknown_lots_are_404(
    forest_api: Api, ledger: Ledger, now: datetime
) -> None:
    lot = pay("alice", "transit", "p1")["lot_id"]
    befriend("alice", "bob")
    clock.set_now(now + timedelta(hours=14))
    status, body, _ = steal(forest_api, "bob", "alice", lot, "s1")
    assert (status, body["type"]) == (409, "already-done")
    sweep_all(ledger)
    status, body, _ = steal(forest_api, "bob", "alice", lot, "s2")
    assert (status, body["type"]) == (409, "already-done")
    status, body, _ = steal(forest_api, "bob", "alice", "20260310T160000Z-aaaaaaaaaaaaaaaa-52-0", "s3")
    assert (status, body["type"]) == (404, "not-found")
    base, amount, shard = lot.rsplit("-", 2)
    forged = f"{base}-{int(amount) * 10}-{shard}"  # a real lot with an inflated amount: no such lot
    status, body, _ = steal(forest_api, "bob", "alice", forged, "s5")
    assert (status, body["type"]) == (404, "not-found")
    status, body, _ = steal(forest_api, "bob", "alice", "../etc", "s4")
    assert (status, body["type"]) == (400, "validation-error")
    assert ledger.balance(forest.energy("bob")) == 0
    assert reconcile().ok
    assert forest.pool_mismatches(ledger) == []


def test_a_friend_sees_what_can_be_taken(forest_api: Api, now: datetime) -> None:
    lot = pay("alice", "transit", "p1")["lot_id"]
    route = "/v1/forest/friends/{friend_id}"
    status, body, _ = forest_api.call(
        "GET", "/v1/forest/friends/alice", route=route, path_parameters={"friend_id": "alice"}, user="bob"
    )
    assert (status, body["type"]) == (403, "forbidden")
    befriend("alice", "bob")
    status, body, _ = forest_api.call(
        "GET", "/v1/forest/friends/alice", route=route, path_parameters={"friend_id": "alice"}, user="bob"
    )
    assert status == 200
    assert [lot_view["lot_id"] for lot_view in body["lots"]] == [lot]


def test_watering_moves_energy_between_mutual_friends(forest_api: Api, ledger: Ledger, now: datetime) -> None:
    pay("alice", "utility", "p1")
    clock.set_now(now + timedelta(hours=1))
    forest_api.call("POST", "/v1/forest/collect", body={}, headers={"Idempotency-Key": "c"})
    status, body, _ = water(forest_api, "alice", "bob", 10, "w1")
    assert (status, body["type"]) == (403, "forbidden")
    befriend("alice", "bob")
    status, body, _ = water(forest_api, "alice", "bob", 10, "w2")
    assert status == 201
    assert body["entry_id"]
    assert water(forest_api, "alice", "bob", 10, "w2")[2]["idempotent-replayed"] == "true"
    status, body, _ = water(forest_api, "alice", "bob", 11, "w2")
    assert (status, body["type"]) == (409, "idempotency-conflict")
    status, body, _ = water(forest_api, "alice", "bob", 253, "w3")
    assert (status, body["type"]) == (422, "insufficient-funds")
    for bad in (0, -5, 2.5, "10", 10**6):
        status, body, _ = water(forest_api, "alice", "bob", bad, f"bad{bad}")
        assert (status, body["type"]) == (400, "validation-error"), bad
    assert ledger.balances([forest.energy("alice"), forest.energy("bob")]) == {
        forest.energy("alice"): 252,
        forest.energy("bob"): 10,
    }
    assert reconcile().ok
    assert forest.pool_mismatches(ledger) == []


@pytest.fixture
def rich_alice(forest_api: Api, ledger: Ledger, now: datetime) -> None:
    for i in range(70):
        pay("alice", "utility", f"p{i}")  # 70 x 262 = 18,340 g
    clock.set_now(now + timedelta(hours=1))
    _, body, _ = forest_api.call("POST", "/v1/forest/collect", body={}, headers={"Idempotency-Key": "c"})
    assert body["collected"] == 18_340


def test_planting_a_tree_spends_its_cost_and_yields_a_certificate(
    forest_api: Api, ledger: Ledger, rich_alice: None
) -> None:
    def plant(species: str, key: str) -> tuple[int, dict, dict]:
        return forest_api.call(
            "POST", "/v1/forest/trees", body={"species": species}, headers={"Idempotency-Key": key}
        )

    status, body, _ = plant("saxaul", "t1")
    assert status == 201
    assert body["cost"] == 17_900
    assert body["certificate_id"].startswith("CERT-")
    assert plant("saxaul", "t1")[1] == body  # a replay plants nothing more
    status, problem, _ = plant("sand-willow", "t2")
    assert (status, problem["type"]) == (422, "insufficient-funds")
    status, problem, _ = plant("baobab", "t3")
    assert (status, problem["type"]) == (400, "validation-error")
    _, view, _ = forest_api.call("GET", "/v1/forest")
    assert view["energy"] == 18_340 - 17_900
    assert [t["certificate_id"] for t in view["trees"]] == [body["certificate_id"]]
    assert ledger.balance(forest.PLANTED) == 17_900
    assert reconcile().ok
    assert forest.pool_mismatches(ledger) == []


def test_a_steal_between_the_collect_read_and_write_is_not_lost(
    forest_api: Api, ledger: Ledger, now: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    lot = pay("alice", "utility", "p1")["lot_id"]
    befriend("alice", "bob")
    clock.set_now(now + timedelta(hours=1))
    real_state = forest_reads.state_of
    reads = {"n": 0}

    def state_then_steal(user_id: str, at: datetime) -> forest.ForestState:
        found = real_state(user_id, at)
        reads["n"] += 1
        if reads["n"] == 1:  # bob steals after alice's collect read its lots
            assert steal(forest_api, "bob", "alice", lot, "race")[0] == 201
        return found

    monkeypatch.setattr(forest_reads, "state_of", state_then_steal)
    _, body, _ = forest_api.call("POST", "/v1/forest/collect", body={}, headers={"Idempotency-Key": "c"})
    assert body["collected"] == 262 - 52  # the collect read again and took what was left
    assert reads["n"] == 2  # the stale read, then the read after the lot guard refused
    assert ledger.balances([forest.energy("alice"), forest.energy("bob"), forest.LOT_POOL]) == {
        forest.energy("alice"): 210,
        forest.energy("bob"): 52,
        forest.LOT_POOL: 0,
    }
    assert reconcile().ok
    assert forest.pool_mismatches(ledger) == []

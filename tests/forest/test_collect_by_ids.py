"""Collect with the lot ids GET /v1/forest listed: one transaction, no read; a lot not as listed falls back."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from bench.common import CALLS
from reward_ledger import clock, forest
from reward_ledger.ledger import Ledger, reconcile
from tests.conftest import Api
from tests.forest.conftest import befriend, pay


@contextmanager
def dynamodb_calls() -> Iterator[Any]:
    with CALLS.measure() as calls:
        yield calls


def listed(api: Api, user: str = "alice") -> list[dict[str, Any]]:
    _, view, _ = api.call("GET", "/v1/forest", user=user)
    lots: list[dict[str, Any]] = view["lots"]
    return lots


def collect_ids(api: Api, key: str, ids: list[str], user: str = "alice") -> tuple[int, dict, dict]:
    return api.call(
        "POST",
        "/v1/forest/collect",
        route="/v1/forest/collect",
        headers={"Idempotency-Key": key},
        body={"lot_ids": ids},
        user=user,
    )


def test_listed_ripe_lots_are_collected_in_one_call_and_a_replay_is_one_call(
    forest_api: Api, ledger: Ledger, now: datetime
) -> None:
    for i in range(3):
        pay("alice", "transit", f"p{i}")
    clock.set_now(now + timedelta(hours=2))
    lots = listed(forest_api)
    assert all(lot["ripe"] for lot in lots) and len(lots) == 3
    with dynamodb_calls() as calls:
        status, body, _ = collect_ids(forest_api, "c1", [lot["lot_id"] for lot in lots])
    assert (status, body["lots"], body["collected"]) == (201, 3, sum(lot["amount"] for lot in lots))
    assert dict(calls.calls) == {"TransactWriteItems": 1}
    with dynamodb_calls() as calls:
        status, replay, headers = collect_ids(forest_api, "c1", [lot["lot_id"] for lot in lots])
    assert (status, replay, headers["idempotent-replayed"]) == (201, body, "true")
    assert calls.total == 1
    assert ledger.balance(forest.energy("alice")) == body["collected"]
    assert listed(forest_api) == []
    assert reconcile().ok and forest.pool_mismatches(ledger) == []


def test_only_the_listed_lots_are_taken(forest_api: Api, ledger: Ledger, now: datetime) -> None:
    pay("alice", "transit", "p1")
    pay("alice", "transit", "p2")
    clock.set_now(now + timedelta(hours=2))
    first, second = listed(forest_api)
    _, body, _ = collect_ids(forest_api, "c1", [first["lot_id"]])
    assert (body["lots"], body["collected"]) == (1, first["amount"])
    assert [lot["lot_id"] for lot in listed(forest_api)] == [second["lot_id"]]


def test_a_lot_stolen_from_after_the_listing_is_collected_for_what_is_left(
    forest_api: Api, ledger: Ledger, now: datetime
) -> None:
    befriend("alice", "bob")
    pay("alice", "transit", "p1")
    pay("alice", "transit", "p2")
    clock.set_now(now + timedelta(hours=2))
    lots = listed(forest_api)
    taken = lots[0]["lot_id"]
    status, stolen, _ = forest_api.call(
        "POST",
        "/v1/forest/friends/alice/steal",
        route="/v1/forest/friends/{friend_id}/steal",
        path_parameters={"friend_id": "alice"},
        headers={"Idempotency-Key": "s1"},
        body={"lot_id": taken},
        user="bob",
    )
    assert status == 201, stolen
    with dynamodb_calls() as calls:
        status, body, _ = collect_ids(forest_api, "c1", [lot["lot_id"] for lot in lots])
    assert status == 201
    assert (body["lots"], body["collected"]) == (2, sum(lot["amount"] for lot in lots) - stolen["stolen"])
    assert calls.calls["Query"] >= 1  # the listing was stale: read, then take what is left
    assert reconcile().ok and forest.pool_mismatches(ledger) == []


def test_stale_unknown_and_unripe_ids_take_nothing_they_should_not(
    forest_api: Api, ledger: Ledger, now: datetime
) -> None:
    pay("alice", "transit", "p1")
    clock.set_now(now + timedelta(hours=2))
    (lot,) = listed(forest_api)
    status, body, _ = collect_ids(forest_api, "c1", [lot["lot_id"]])
    assert body["collected"] == lot["amount"]
    pay("alice", "transit", "p2")  # not ripe yet
    (unripe,) = listed(forest_api)
    forged = lot["lot_id"].rsplit("-", 2)[0] + "-99999-0"  # an amount the stored lot does not have
    status, body, _ = collect_ids(forest_api, "c2", [lot["lot_id"], unripe["lot_id"], forged])
    assert (status, body["lots"], body["collected"]) == (201, 0, 0)
    assert ledger.balance(forest.energy("alice")) == lot["amount"]
    assert reconcile().ok and forest.pool_mismatches(ledger) == []


def test_bad_lot_id_lists_are_a_400(forest_api: Api, now: datetime) -> None:
    pay("alice", "transit", "p1")
    clock.set_now(now + timedelta(hours=2))
    (lot,) = listed(forest_api)
    for ids in ([lot["lot_id"], lot["lot_id"]], ["not-a-lot"], ["x"] * 101):
        status, body, _ = collect_ids(forest_api, "bad", ids)
        assert (status, body["type"]) == (400, "validation-error"), ids


def test_an_id_no_lot_can_have_is_a_404_and_changes_nothing(forest_api: Api, ledger: Ledger) -> None:
    """An id of the listed shape whose amount is 0 or whose pool shard does not exist names no lot: 404,
    never the 500 a zero-amount leg or an unknown shard would raise (schemathesis found the first)."""
    shards = forest.LOT_POOL.policy.shards
    for n, lot_id in enumerate(
        ["00000000T000000Z-2222222222222222-0-0", f"20260101T000000Z-2222222222222222-10-{shards}"]
    ):
        status, body, _ = collect_ids(forest_api, f"bad-{n}", [lot_id])
        assert (status, body["type"]) == (404, "not-found"), body
    assert ledger.balance(forest.energy("alice")) == 0

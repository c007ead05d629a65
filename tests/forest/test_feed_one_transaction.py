"""Feeding is one transaction and no read; a finished, uncounted meal is counted inside the feed's own."""

from __future__ import annotations

from datetime import datetime

from bench.common import CALLS
from reward_ledger import clock, farm
from reward_ledger.ledger import Ledger, reconcile
from tests.conftest import Api
from tests.forest.conftest import pay
from tests.forest.test_farm_api import MEAL, feed, view


def test_feeding_a_new_or_settled_chicken_is_one_transaction(
    farm_api: Api, ledger: Ledger, now: datetime
) -> None:
    pay("alice", "offline", "p1")
    pay("alice", "offline", "p2")
    with CALLS.measure():
        status, body, _ = feed(farm_api, "f1")
    assert status == 201, body
    assert dict(CALLS.calls) == {"TransactWriteItems": 1}
    clock.set_now(now + MEAL)
    assert view(farm_api)["chicken"]["egg_progress"] == 25  # the read settles the finished meal
    with CALLS.measure():
        assert feed(farm_api, "f2")[0] == 201
        assert feed(farm_api, "f2")[2]["idempotent-replayed"] == "true"
    assert dict(CALLS.calls) == {"TransactWriteItems": 2}  # the feed and its replay, one call each


def test_a_finished_meal_is_counted_by_the_next_feed_without_a_read_and_lays_its_egg_once(
    farm_api: Api, ledger: Ledger, now: datetime
) -> None:
    for i in range(4):
        pay("alice", "offline", f"p{i}")
    for i in range(3):
        assert feed(farm_api, f"f{i}")[0] == 201
        clock.set_now(clock.now() + MEAL)
    with CALLS.measure():
        status, body, _ = feed(farm_api, "f3")  # meals 1-3 counted, the third one by this feed
    assert status == 201, body
    assert "GetItem" not in CALLS.calls and "Query" not in CALLS.calls
    assert ledger.balance(farm.eggs_account("alice")) == 0
    state = view(farm_api)
    assert (state["chicken"]["egg_progress"], state["chicken"]["state"]) == (75, "eating")
    clock.set_now(clock.now() + MEAL)
    pay("alice", "offline", "p4")
    assert feed(farm_api, "f4")[0] == 201  # counts the fourth meal: a whole egg, credited by the feed
    assert ledger.balance(farm.eggs_account("alice")) == 1
    state = view(farm_api)
    assert (state["eggs"], state["chicken"]["egg_progress"], state["chicken"]["eggs_laid"]) == (1, 0, 1)
    assert reconcile().ok


def test_feeding_while_the_chicken_eats_is_refused_and_changes_nothing(
    farm_api: Api, ledger: Ledger, now: datetime
) -> None:
    pay("alice", "offline", "p1")
    pay("alice", "offline", "p2")
    assert feed(farm_api, "f1")[0] == 201
    status, problem, _ = feed(farm_api, "f2")
    assert (status, problem["type"]) == (409, "already-done")
    assert view(farm_api)["feed"] == 180
    assert reconcile().ok

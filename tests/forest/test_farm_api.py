"""Farm: meals from feed, lazily computed egg progress, eggs, friends feeding, donations, egg expiry."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from bench.common import CALLS
from reward_ledger import clock, farm
from reward_ledger.charity import ProjectProgress, progress_key
from reward_ledger.farm import items as farm_items
from reward_ledger.ledger import Ledger, reconcile
from tests.conftest import Api
from tests.forest.conftest import befriend, pay, sweep_all

MEAL = timedelta(minutes=240)


def feed(api: Api, key: str, user: str = "alice", friend: str | None = None) -> tuple[int, dict, dict]:
    if friend is None:
        return api.call("POST", "/v1/farm/feed", body={}, headers={"Idempotency-Key": key}, user=user)
    return api.call(
        "POST",
        f"/v1/farm/friends/{friend}/feed",
        route="/v1/farm/friends/{friend_id}/feed",
        path_parameters={"friend_id": friend},
        body={},
        headers={"Idempotency-Key": key},
        user=user,
    )


def donate(api: Api, project: str, eggs: object, key: str, user: str = "alice") -> tuple[int, dict, dict]:
    return api.call(
        "POST",
        "/v1/farm/donations",
        body={"project_id": project, "eggs": eggs},
        headers={"Idempotency-Key": key},
        user=user,
    )


def meals(api: Api, count: int, tag: str, user: str = "alice") -> None:
    """``count`` full meals: a payment for the feed, a feeding, then the meal's time passes."""
    for i in range(count):
        pay(user, "offline", f"{tag}-pay-{i}")  # 180 g of feed, exactly one meal
        status, body, _ = feed(api, f"{tag}-feed-{i}", user=user)
        assert status == 201, body
        clock.set_now(clock.now() + MEAL)


def view(api: Api, user: str = "alice") -> dict:
    status, body, _ = api.call("GET", "/v1/farm", user=user)
    assert status == 200
    return body


def test_a_meal_needs_feed_and_a_hungry_chicken(farm_api: Api, ledger: Ledger, now: datetime) -> None:
    assert view(farm_api) == {
        "feed": 0,
        "eggs": 0,
        "chicken": {
            "state": "hungry",
            "eating_until": None,
            "egg_progress": 0,
            "progress_per_egg": 100,
            "eggs_laid": 0,
        },
    }
    status, body, _ = feed(farm_api, "f0")
    assert (status, body["type"]) == (422, "insufficient-funds")
    pay("alice", "offline", "p1")
    pay("alice", "offline", "p2")
    status, body, _ = feed(farm_api, "f1")
    assert (status, body["eating_until"]) == (201, "2026-03-10T06:00:00.000Z")
    assert feed(farm_api, "f1")[2]["idempotent-replayed"] == "true"
    status, problem, _ = feed(farm_api, "f2")
    assert (status, problem["type"]) == (409, "already-done")  # still eating
    state = view(farm_api)
    assert state["feed"] == 180
    assert state["chicken"]["state"] == "eating"
    assert state["chicken"]["eating_until"] == body["eating_until"]

    clock.set_now(now + MEAL)  # the meal is over: progress is counted on read
    state = view(farm_api)
    assert state["chicken"] == {
        "state": "hungry",
        "eating_until": None,
        "egg_progress": 25,
        "progress_per_egg": 100,
        "eggs_laid": 0,
    }
    assert view(farm_api)["chicken"]["egg_progress"] == 25  # reading twice counts the meal once
    assert feed(farm_api, "f3")[0] == 201
    assert view(farm_api)["feed"] == 0
    assert ledger.balance(farm.CONSUMED) == 360
    assert reconcile().ok


def test_four_meals_lay_an_egg(farm_api: Api, ledger: Ledger, now: datetime) -> None:
    meals(farm_api, 3, "a")
    assert view(farm_api)["eggs"] == 0
    meals(farm_api, 1, "b")
    state = view(farm_api)
    assert state["eggs"] == 1
    assert state["chicken"]["egg_progress"] == 0
    assert state["chicken"]["eggs_laid"] == 1
    assert reconcile().ok


def test_a_friend_feeds_your_chicken_from_their_feed(farm_api: Api, ledger: Ledger, now: datetime) -> None:
    pay("bob", "offline", "p-bob")
    status, body, _ = feed(farm_api, "ff1", user="bob", friend="alice")
    assert (status, body["type"]) == (403, "forbidden")
    befriend("alice", "bob")
    status, body, _ = feed(farm_api, "ff2", user="bob", friend="alice")
    assert status == 201
    assert view(farm_api)["chicken"]["state"] == "eating"
    assert view(farm_api, "bob")["feed"] == 0
    assert view(farm_api, "bob")["chicken"]["state"] == "hungry"  # bob's own chicken was not fed
    status, body, _ = feed(farm_api, "ff3", user="bob", friend="bob")
    assert (status, body["type"]) == (400, "validation-error")
    assert reconcile().ok


def test_eggs_are_donated_to_egg_projects(farm_api: Api, ledger: Ledger, now: datetime) -> None:
    meals(farm_api, 8, "m")  # two eggs
    status, _body, _ = donate(farm_api, "school-lunch", 1, "d1")
    assert status == 201
    assert donate(farm_api, "school-lunch", 1, "d1")[2]["idempotent-replayed"] == "true"
    status, problem, _ = donate(farm_api, "school-lunch", 2, "d2")
    assert (status, problem["type"]) == (422, "insufficient-funds")
    status, problem, _ = donate(farm_api, "desert-trees", 1, "d3")
    assert (status, problem["type"]) == (400, "validation-error")  # a SEED project
    status, problem, _ = donate(farm_api, "nowhere", 1, "d4")
    assert (status, problem["type"]) == (404, "not-found")
    for bad in (0, 1.5, "1", None):  # 1.0 is the integer 1 (JSON Schema), not refused
        status, problem, _ = donate(farm_api, "school-lunch", bad, f"bad-{bad}")
        assert (status, problem["type"]) == (400, "validation-error")
    assert view(farm_api)["eggs"] == 1
    assert int(ProjectProgress.get(progress_key("school-lunch"), "PROGRESS").raised) == 1
    assert reconcile().ok


def test_a_donation_is_one_call_and_counts_a_finished_meal_only_when_short(
    farm_api: Api, ledger: Ledger, now: datetime
) -> None:
    meals(farm_api, 4, "a")  # the fourth meal lays egg 1, but nothing has counted it yet
    assert ledger.balance(farm.eggs_account("alice")) == 0
    with CALLS.measure():
        status, body, _ = donate(farm_api, "school-lunch", 1, "d1")
    assert status == 201, body
    assert CALLS.calls["TransactWriteItems"] == 3  # refused, the meal counted, the donation
    meals(farm_api, 5, "b")  # meal 8 lays egg 2, counted when meal 9 starts
    assert ledger.balance(farm.eggs_account("alice")) == 1
    with CALLS.measure():
        assert donate(farm_api, "school-lunch", 1, "d2")[0] == 201
    assert dict(CALLS.calls) == {"TransactWriteItems": 1}  # enough eggs: no read, one transaction
    status, problem, _ = donate(farm_api, "school-lunch", 2, "d3")  # meal 9 counted: no egg, still short
    assert (status, problem["type"]) == (422, "insufficient-funds")
    assert ledger.balance(farm.eggs_account("alice")) == 0
    assert int(ProjectProgress.get(progress_key("school-lunch"), "PROGRESS").raised) == 2
    assert reconcile().ok


def test_eggs_not_donated_in_time_expire_oldest_first(farm_api: Api, ledger: Ledger, now: datetime) -> None:
    meals(farm_api, 4, "a")  # egg 1 laid at T0 + 16 h
    clock.set_now(clock.now() + timedelta(days=2))
    meals(farm_api, 8, "b")  # eggs 2 and 3 laid about two and three days later
    assert view(farm_api)["eggs"] == 3
    assert donate(farm_api, "elder-care", 1, "d1")[0] == 201  # FIFO: egg 1 is the one donated

    clock.set_now(now + timedelta(days=7, hours=17))  # past egg 1's deadline only
    # egg 1's batch, and the 12 oxygen lots the feed payments granted, days past their midnight
    assert sweep_all(ledger) == 1 + 12
    assert view(farm_api)["eggs"] == 2  # egg 1 was donated: nothing left of its batch to expire
    assert ledger.balance(farm.EXPIRED) == 0

    clock.set_now(now + timedelta(days=11, hours=1))  # past eggs 2 and 3 (laid on days 3 and 4)
    assert sweep_all(ledger) == 2
    assert sweep_all(ledger) == 0
    assert view(farm_api)["eggs"] == 0
    assert ledger.balance(farm.EXPIRED) == 2
    assert reconcile().ok


def test_a_donation_racing_the_egg_expiry_is_counted_exactly(
    farm_api: Api, ledger: Ledger, now: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    meals(farm_api, 4, "a")  # egg 1, laid at T0 + 16 h
    clock.set_now(clock.now() + timedelta(days=3))
    meals(farm_api, 4, "b")  # egg 2, laid days later
    clock.set_now(now + timedelta(days=7, hours=17))  # egg 1 is due, egg 2 is not
    real_load = farm_items.load
    race = {"armed": True}

    def load_then_donate(user_id: str) -> farm.ChickenState:
        found = real_load(user_id)
        if race["armed"]:
            race["armed"] = False  # the user donates one egg right after the expirer read the chicken
            assert donate(farm_api, "school-lunch", 1, "race")[0] == 201
        return found

    monkeypatch.setattr(farm_items, "load", load_then_donate)
    assert sweep_all(ledger) == 1 + 8  # the batch and the 8 feed payments' oxygen lots, long overdue
    # FIFO: the donated egg was egg 1, so nothing of its batch is left to expire; egg 2 is kept
    assert ledger.balance(farm.EXPIRED) == 0
    assert view(farm_api)["eggs"] == 1
    assert reconcile().ok

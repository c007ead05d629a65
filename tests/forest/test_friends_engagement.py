"""Friends list, unfriending on both sides (friend actions refused after), a friend's chicken, nudges."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from reward_ledger import clock
from reward_ledger.reminders.models import Reminder, partition
from tests.conftest import Api
from tests.forest.conftest import befriend, pay
from tests.forest.test_farm_api import feed
from tests.forest.test_friends_api import steal, water

FRIEND = "/v1/friends/{friend_id}"


def ask(user: str, other: str) -> int:
    return Api("FriendsFunction").call(
        "PUT", f"/v1/friends/{other}", route=FRIEND, path_parameters={"friend_id": other}, user=user
    )[0]


def listed(user: str) -> dict[str, str]:
    status, body, _ = Api("FriendsFunction").call("GET", "/v1/friends", user=user)
    assert status == 200
    return {f["friend_id"]: f["status"] for f in body["friends"]}


def unfriend(user: str, other: str) -> tuple[int, dict, dict]:
    return Api("FriendsFunction").call(
        "DELETE", f"/v1/friends/{other}", route=FRIEND, path_parameters={"friend_id": other}, user=user
    )


def chicken(user: str, friend: str) -> tuple[int, dict, dict]:
    route = "/v1/farm/friends/{friend_id}"
    return Api("FarmFunction").call(
        "GET", f"/v1/farm/friends/{friend}", route=route, path_parameters={"friend_id": friend}, user=user
    )


def nudge(user: str, friend: str, key: str, **extra: object) -> tuple[int, dict, dict]:
    return Api("FarmFunction").call(
        "POST",
        f"/v1/farm/friends/{friend}/nudges",
        route="/v1/farm/friends/{friend_id}/nudges",
        path_parameters={"friend_id": friend},
        body={},
        headers={"Idempotency-Key": key},
        user=user,
        **extra,  # type: ignore[arg-type]
    )


def test_the_list_shows_friends_requests_sent_and_requests_to_answer(friends_api: Api) -> None:
    befriend("alice", "bob")
    assert ask("alice", "carol") == 200
    assert ask("dave", "alice") == 200
    assert listed("alice") == {"bob": "friends", "carol": "requested", "dave": "invited"}
    assert listed("carol") == {"alice": "invited"}
    assert listed("erin") == {}


def test_unfriending_removes_the_friendship_on_both_sides(friends_api: Api) -> None:
    befriend("alice", "bob")
    befriend("alice", "carol")
    status, body, _ = unfriend("bob", "alice")
    assert (status, body) == (200, {"friend_id": "alice", "status": "removed"})
    assert listed("alice") == {"carol": "friends"}
    assert listed("bob") == {}
    status, body, _ = unfriend("alice", "bob")
    assert (status, body["type"]) == (404, "not-found")  # nothing left to remove
    status, body, _ = unfriend("alice", "alice")
    assert (status, body["type"]) == (400, "validation-error")
    assert ask("dave", "alice") == 200
    assert unfriend("alice", "dave")[0] == 200  # declining a request removes it too
    assert listed("dave") == {}
    befriend("alice", "bob")  # asking again starts from nothing: both sides must ask once more
    assert listed("bob") == {"alice": "friends"}


@pytest.mark.parametrize("who_unfriends", ["alice", "bob"])
def test_after_unfriending_stealing_is_refused_on_both_sides(
    forest_api: Api, now: datetime, who_unfriends: str
) -> None:
    lots = {u: pay(u, "utility", f"p-{u}")["lot_id"] for u in ("alice", "bob")}
    befriend("alice", "bob")
    clock.set_now(now + timedelta(hours=1))
    assert unfriend(who_unfriends, "bob" if who_unfriends == "alice" else "alice")[0] == 200
    for thief, owner in (("alice", "bob"), ("bob", "alice")):
        status, body, _ = steal(forest_api, thief, owner, lots[owner], f"s-{thief}")
        assert (status, body["type"]) == (403, "forbidden"), (thief, owner)


@pytest.mark.parametrize("who_unfriends", ["alice", "bob"])
def test_after_unfriending_watering_is_refused_on_both_sides(
    forest_api: Api, now: datetime, who_unfriends: str
) -> None:
    for user in ("alice", "bob"):
        pay(user, "utility", f"p-{user}")
    clock.set_now(now + timedelta(hours=1))
    for user in ("alice", "bob"):
        forest_api.call("POST", "/v1/forest/collect", body={}, headers={"Idempotency-Key": "c"}, user=user)
    befriend("alice", "bob")
    assert water(forest_api, "alice", "bob", 5, "w0")[0] == 201  # friends: allowed
    assert unfriend(who_unfriends, "bob" if who_unfriends == "alice" else "alice")[0] == 200
    for giver, receiver in (("alice", "bob"), ("bob", "alice")):
        status, body, _ = water(forest_api, giver, receiver, 5, f"w-{giver}")
        assert (status, body["type"]) == (403, "forbidden"), (giver, receiver)


@pytest.mark.parametrize("who_unfriends", ["alice", "bob"])
def test_after_unfriending_feeding_and_the_chicken_view_are_refused_on_both_sides(
    farm_api: Api, now: datetime, who_unfriends: str
) -> None:
    for user in ("alice", "bob"):
        pay(user, "offline", f"p-{user}")  # one meal of feed each
    befriend("alice", "bob")
    assert chicken("alice", "bob")[0] == 200
    assert unfriend(who_unfriends, "bob" if who_unfriends == "alice" else "alice")[0] == 200
    for feeder, owner in (("alice", "bob"), ("bob", "alice")):
        status, body, _ = feed(farm_api, f"f-{feeder}", user=feeder, friend=owner)
        assert (status, body["type"]) == (403, "forbidden"), (feeder, owner)
        status, body, _ = chicken(feeder, owner)
        assert (status, body["type"]) == (403, "forbidden")
        status, body, _ = nudge(feeder, owner, f"n-{feeder}")
        assert (status, body["type"]) == (403, "forbidden")


def test_a_friends_chicken_shows_when_it_got_hungry(farm_api: Api, now: datetime) -> None:
    befriend("alice", "bob")
    status, body, _ = chicken("alice", "bob")
    assert (status, body) == (
        200,
        {"friend_id": "bob", "state": "hungry", "eating_until": None, "hungry_since": None},
    )
    pay("bob", "offline", "p1")
    assert feed(farm_api, "f1", user="bob")[0] == 201
    body = chicken("alice", "bob")[1]
    assert body["state"] == "eating"
    until = body["eating_until"]
    assert until == clock.iso(now + timedelta(minutes=240))
    clock.set_now(now + timedelta(hours=5))
    assert chicken("alice", "bob")[1] == {
        "friend_id": "bob",
        "state": "hungry",
        "eating_until": None,
        "hungry_since": until,
    }
    status, body, _ = chicken("alice", "carol")
    assert (status, body["type"]) == (403, "forbidden")


def test_a_nudge_is_once_per_friend_per_local_day_and_schedules_the_friends_reminder(
    farm_api: Api, now: datetime
) -> None:
    befriend("alice", "bob")
    befriend("alice", "carol")
    status, first, _ = nudge("alice", "bob", "n1")
    assert (status, first["nudged"]) == (201, True)
    status, replay, headers = nudge("alice", "bob", "n1")
    assert (status, replay, headers["idempotent-replayed"]) == (201, first, "true")
    status, body, _ = nudge("alice", "bob", "n2")
    assert (status, body["type"]) == (429, "rate-limited")
    assert nudge("alice", "carol", "n3")[0] == 201  # another friend: its own pair
    assert nudge("bob", "alice", "n4")[0] == 201  # the other direction is its own pair
    reminders = list(Reminder.query(partition("bob")))
    assert [(r.reminder, r.subject, r.state, r.data) for r in reminders] == [
        ("friend-nudge", "alice#2026-03-10", "scheduled", {"from": "alice"})
    ]
    assert reminders[0].reminder_id == first["reminder_id"]
    clock.set_now(now + timedelta(hours=14))  # 00:00 the next day in Shanghai: a new local day
    assert nudge("alice", "bob", "n5")[0] == 201
    status, body, _ = nudge("alice", "dave", "n6")
    assert (status, body["type"]) == (403, "forbidden")  # not friends
    assert len(list(Reminder.query(partition("dave")))) == 0

"""Watering and feeding need a mutual friendship, as stealing does: a request one side sent is not one."""

from __future__ import annotations

from reward_ledger.friends import Friendship
from reward_ledger.ledger import Ledger, user_account
from reward_ledger.rate_limits import rules
from tests.conftest import Api
from tests.forest.conftest import pay
from tests.forest.test_friends_api import water


def ask(user: str, other: str, expected: str = "requested") -> None:
    status, body, _ = Api("FriendsFunction").call(
        "PUT",
        f"/v1/friends/{other}",
        route="/v1/friends/{friend_id}",
        path_parameters={"friend_id": other},
        user=user,
    )
    assert (status, body["status"]) == (200, expected), body


def test_watering_and_feeding_a_friend_who_has_not_asked_back_are_refused(
    forest_api: Api, farm_api: Api, ledger: Ledger
) -> None:
    pay("alice", "utility", "p-energy")
    pay("alice", "offline", "p-feed")
    ask("alice", "bob")  # bob never asks back
    before = ledger.balances(
        [user_account(u, b, a) for u in ("alice", "bob") for b, a in (("energy", "O2"), ("feed", "FEED"))]
    )
    status, body, _ = water(forest_api, "alice", "bob", 1, "w-1")
    assert (status, body["type"]) == (403, "forbidden")
    status, body, _ = farm_api.call(
        "POST",
        "/v1/farm/friends/bob/feed",
        route="/v1/farm/friends/{friend_id}/feed",
        path_parameters={"friend_id": "bob"},
        body={},
        headers={"Idempotency-Key": "f-1"},
        user="alice",
    )
    assert (status, body["type"]) == (403, "forbidden")
    after = ledger.balances(
        [user_account(u, b, a) for u in ("alice", "bob") for b, a in (("energy", "O2"), ("feed", "FEED"))]
    )
    assert after == before


def test_friend_requests_are_rate_limited_per_user(friends_api: Api) -> None:
    rule = rules()["friend_requests"]
    for n in range(rule.limit):
        ask("alice", f"friend-{n}")
    ask("alice", "friend-0", "requested")  # asking again counts nothing
    status, body, headers = friends_api.call(
        "PUT",
        "/v1/friends/one-more",
        route="/v1/friends/{friend_id}",
        path_parameters={"friend_id": "one-more"},
    )
    assert (status, body["type"]) == (429, "rate-limited")
    assert int(headers["retry-after"]) >= 1
    pairs = list(Friendship.scan(Friendship.pk.startswith("FRIENDS#")))
    assert len(pairs) == rule.limit  # the refused request wrote nothing
    ask("bob", "alice")  # per user

"""Events out through the local stack over HTTP: the stream and the publisher run as AWS runs them, and
GET /_local/outbox lists what was published."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from tests.local.conftest import Client


def outbox(client: Client, detail_type: str, user: str) -> list[dict[str, Any]]:
    reply = client.call("GET", f"/_local/outbox?detail-type={detail_type}&user_id={user}")
    assert reply.status == 200, reply.body
    events: list[dict[str, Any]] = reply.body["events"]
    return events


def choose(client: Client, user: str, key: str, chapter: int, choice: str) -> Any:
    return client.call(
        "POST",
        "/v1/stories/first-date/choices",
        {"chapter": chapter, "choice_id": choice},
        user=user,
        headers={"Idempotency-Key": key},
    )


def befriend(client: Client, a: str, b: str) -> None:
    assert client.call("PUT", f"/v1/friends/{b}", user=a).status == 200
    assert client.call("PUT", f"/v1/friends/{a}", user=b).status == 200


def test_a_committed_choice_appears_once_balanced_and_a_refused_one_not_at_all(client: Client) -> None:
    funded = client.event(
        "payments", "wallet.funded", {"funding_id": "eo-1", "user_id": "eo-ann", "amount": 5000}
    )
    assert funded.status == 200
    chosen = choose(client, "eo-ann", "k1", 1, "flowers")
    assert chosen.status == 201
    assert choose(client, "eo-ann", "k1", 1, "flowers").headers["idempotent-replayed"] == "true"
    assert choose(client, "eo-ann", "k2", 1, "roses").status == 409  # refused: past chapter 1
    events = outbox(client, "ledger.entry.committed", "eo-ann")
    kinds = sorted(e["detail"]["kind"] for e in events)
    assert len(kinds) == 2, kinds  # the funding and the one committed choice
    (choice,) = [e for e in events if e["detail"]["entry_id"] == chosen.body["entry_id"]]
    assert choice["source"] == "reward-ledger"
    per_asset: dict[str, int] = defaultdict(int)
    for posting in choice["detail"]["postings"]:
        per_asset[posting["account"].rsplit("/", 1)[-1]] += posting["delta"]
    assert per_asset == {"CNY": 0}
    assert {p["account"] for p in choice["detail"]["postings"]} == {
        "user:eo-ann/wallet/CNY",
        "user:eo-ann/purse/CNY",
    }
    assert outbox(client, "ledger.entry.committed", "eo-nobody") == []


def test_a_nudge_appears_as_the_friends_reminder(client: Client) -> None:
    befriend(client, "eo-bea", "eo-cal")
    sent = client.call(
        "POST", "/v1/farm/friends/eo-cal/nudges", {}, user="eo-bea", headers={"Idempotency-Key": "n1"}
    )
    assert sent.status == 201, sent.body
    again = client.call(
        "POST", "/v1/farm/friends/eo-cal/nudges", {}, user="eo-bea", headers={"Idempotency-Key": "n2"}
    )
    assert (again.status, again.body["type"]) == (429, "rate-limited")
    assert client.call("POST", "/_local/schedules/ReminderFinderFunction").status == 200
    (reminder,) = outbox(client, "reminder.due", "eo-cal")
    assert reminder["detail"]["reminder"] == "friend-nudge"
    assert reminder["detail"]["data"] == {"from": "eo-bea"}
    assert outbox(client, "reminder.due", "eo-bea") == []


def test_an_uncollected_lot_at_23_15_local_gives_one_oxygen_expiring_reminder(client: Client) -> None:
    try:
        assert client.call("POST", "/_local/clock", {"now": "2031-05-04T11:00:00Z"}).status == 200  # 19:00
        paid = client.event(
            "payments",
            "payment.completed",
            {
                "payment_id": "eo-pay-1",
                "user_id": "eo-dan",
                "amount": 1000,
                "category": "utility",
                "occurred_at": "2031-05-04T11:00:00.000Z",
            },
        )
        assert paid.status == 200, paid.body
        for now in ("2031-05-04T15:15:00Z", "2031-05-04T15:20:00Z"):  # 23:15 and 23:20 in Shanghai
            assert client.call("POST", "/_local/clock", {"now": now}).status == 200
            assert client.call("POST", "/_local/schedules/ReminderFinderFunction").status == 200
        (reminder,) = outbox(client, "reminder.due", "eo-dan")
        assert reminder["detail"]["reminder"] == "oxygen-expiring"
        assert reminder["detail"]["subject"] == "2031-05-04T16:00:00.000Z"
    finally:
        client.call("POST", "/_local/clock", {"now": None})


def test_unfriending_stops_friend_actions_on_both_sides(client: Client) -> None:
    befriend(client, "eo-eve", "eo-fay")
    assert client.call("GET", "/v1/farm/friends/eo-fay", user="eo-eve").status == 200
    assert client.call("DELETE", "/v1/friends/eo-eve", user="eo-fay").body == {
        "friend_id": "eo-eve",
        "status": "removed",
    }
    assert client.call("GET", "/v1/friends", user="eo-eve").body == {"friends": []}
    for user, friend in (("eo-eve", "eo-fay"), ("eo-fay", "eo-eve")):
        for path, body in (
            (f"/v1/forest/friends/{friend}/water", {"amount": 1}),
            (f"/v1/forest/friends/{friend}/steal", {"lot_id": "20310504T160000Z-aaaaaaaaaaaaaaaa-52-0"}),
            (f"/v1/farm/friends/{friend}/feed", {}),
            (f"/v1/farm/friends/{friend}/nudges", {}),
        ):
            reply = client.call("POST", path, body, user=user, headers={"Idempotency-Key": f"x-{user}"})
            assert (reply.status, reply.body["type"]) == (403, "forbidden"), (user, path, reply.body)
        assert client.call("GET", f"/v1/farm/friends/{friend}", user=user).status == 403

"""Reminders: found through indexes, one per (user, kind, subject), muted or deferred per the user's
settings, published as reminder.due through the stream once delivered."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from infra.handlers import invoke
from infra.streams import StreamSource
from reward_ledger import clock
from reward_ledger.outbound import schema
from reward_ledger.reminders import prefs as core
from reward_ledger.reminders.models import Reminder, partition
from tests.conftest import Api
from tests.events.conftest import Consumer
from tests.forest.conftest import befriend, pay
from tests.forest.test_friends_engagement import nudge

# 23:15 in Shanghai on 2026-03-10 (midnight is 16:00 UTC)
LATE = datetime(2026, 3, 10, 15, 15, tzinfo=UTC)


def run_finder() -> dict:
    result: dict = invoke(
        "ReminderFinderFunction", {"source": "aws.events", "detail-type": "Scheduled Event"}
    )
    return result


def reminders_of(user: str) -> list[Reminder]:
    return [r for r in Reminder.query(partition(user)) if r.sk.startswith("R#")]


def settings(user: str, body: dict | None = None, **claims: str) -> tuple[int, dict, dict]:
    api = Api("RemindersFunction")
    if body is None:
        return api.call("GET", "/v1/me/reminders", user=user)
    return api.call("PUT", "/v1/me/reminders", body=body, user=user, claims={"sub": user, **claims})


def test_an_uncollected_lot_at_23_15_gives_one_oxygen_expiring_reminder(
    consumer: Consumer, stream: StreamSource, at: Callable[[datetime], None]
) -> None:
    at(LATE - timedelta(hours=3))  # 20:15 local: the lot ripens at 21:15
    pay("alice", "utility", "p1")
    pay("alice", "transit", "p2")
    pay("bob", "utility", "p3")
    Api("ForestFunction").call(
        "POST", "/v1/forest/collect", body={}, headers={"Idempotency-Key": "c"}, user="bob"
    )  # nothing ripe yet for bob at 20:15; collected below at 22:00
    at(LATE - timedelta(hours=1, minutes=15))
    assert (
        Api("ForestFunction").call(
            "POST", "/v1/forest/collect", body={}, headers={"Idempotency-Key": "c2"}, user="bob"
        )[0]
        == 201
    )
    assert run_finder()["scheduled"] == {"oxygen-expiring": 0}  # 22:00: midnight is two hours away
    at(LATE)
    first = run_finder()
    assert first["scheduled"] == {"oxygen-expiring": 1}  # alice's two lots: one reminder; bob collected
    assert first["outcomes"] == {"sent": 1}
    at(LATE + timedelta(minutes=5))
    assert run_finder()["scheduled"] == {"oxygen-expiring": 0}  # at most one per user and local day
    stream.pump()
    due = consumer.drain(schema.REMINDER_DUE)
    assert len(due) == 1
    detail = due[0]["detail"]
    assert (detail["user_id"], detail["reminder"]) == ("alice", "oxygen-expiring")
    assert detail["subject"] == "2026-03-10T16:00:00.000Z"
    assert detail["data"]["grams"] > 0


def test_a_nudge_is_delivered_as_the_friends_reminder_once(
    consumer: Consumer, stream: StreamSource, at: Callable[[datetime], None]
) -> None:
    at(LATE - timedelta(hours=10))
    befriend("alice", "bob")
    assert nudge("alice", "bob", "n1")[0] == 201
    assert run_finder()["outcomes"] == {"sent": 1}
    assert run_finder()["outcomes"] == {}  # delivered: out of the index
    stream.pump()
    stream.pump()
    due = consumer.drain(schema.REMINDER_DUE)
    assert [(e["detail"]["user_id"], e["detail"]["reminder"], e["detail"]["data"]) for e in due] == [
        ("bob", "friend-nudge", {"from": "alice"})
    ]
    assert due[0]["resources"] == [f"reward-ledger:{due[0]['detail']['reminder_id']}"]


def test_muted_kinds_are_not_sent_and_quiet_hours_defer_to_their_end(
    consumer: Consumer, stream: StreamSource, at: Callable[[datetime], None]
) -> None:
    at(datetime(2026, 3, 10, 14, 30, tzinfo=UTC))  # 22:30 in Shanghai
    for friend in ("bob", "carol"):
        befriend("alice", friend)
    status, body, _ = settings("bob", {"muted": ["friend-nudge"]})
    assert (status, body["muted"]) == (200, ["friend-nudge"])
    status, body, _ = settings("carol", {"quiet_hours": {"start": "22:00", "end": "07:30"}})
    assert body == {
        "muted": [],
        "quiet_hours": {"start": "22:00", "end": "07:30"},
        "timezone": "Asia/Shanghai",
    }
    assert settings("carol")[1] == body
    nudge("alice", "bob", "n1")
    nudge("alice", "carol", "n2")
    assert run_finder()["outcomes"] == {"muted": 1, "deferred": 1}
    assert [r.state for r in reminders_of("bob")] == ["muted"]
    (carols,) = reminders_of("carol")
    assert (carols.state, carols.due_index_at) == ("scheduled", "2026-03-10T23:30:00.000Z")  # 07:30 local
    at(datetime(2026, 3, 10, 23, 29, tzinfo=UTC))
    assert run_finder()["outcomes"] == {}
    at(datetime(2026, 3, 10, 23, 31, tzinfo=UTC))
    assert run_finder()["outcomes"] == {"sent": 1}
    stream.pump()
    assert [e["detail"]["user_id"] for e in consumer.drain(schema.REMINDER_DUE)] == ["carol"]


def test_reminder_settings_refuse_what_is_not_a_setting(ledger_table: str) -> None:
    for bad in (
        {"muted": ["no-such-kind"]},
        {"quiet_hours": {"start": "25:00", "end": "07:00"}},
        {"quiet_hours": {"start": "22:00"}},
        {"user_id": "bob"},
    ):
        status, body, _ = settings("alice", bad)
        assert (status, body["type"]) == (400, "validation-error"), bad
    assert settings("alice")[1] == {"muted": [], "quiet_hours": None, "timezone": "Asia/Shanghai"}
    status, body, _ = settings(
        "alice", {"quiet_hours": {"start": "09:00", "end": "12:00"}}, zoneinfo="Europe/Paris"
    )
    assert body["timezone"] == "Europe/Paris"


@given(
    st.integers(0, 23),
    st.integers(0, 59),
    st.integers(0, 23),
    st.integers(0, 59),
    st.integers(0, 24 * 60 - 1),
)
def test_quiet_hours_end_after_now_and_cover_exactly_the_window(
    sh: int, sm: int, eh: int, em: int, minute: int
) -> None:
    prefs = core.Prefs(quiet_start=f"{sh:02d}:{sm:02d}", quiet_end=f"{eh:02d}:{em:02d}", zone="Asia/Shanghai")
    now = datetime(2026, 3, 10, tzinfo=clock.zone("Asia/Shanghai")) + timedelta(minutes=minute)
    start, end, at = sh * 60 + sm, eh * 60 + em, minute
    inside = (start <= at < end) if start < end else (start != end and (at >= start or at < end))
    until = core.quiet_until(prefs, now)
    assert (until is not None) == inside
    if until is not None:
        assert now < until <= now + timedelta(days=1)
        local_end = until.astimezone(clock.zone("Asia/Shanghai"))
        assert (local_end.hour, local_end.minute) == (eh, em)


def test_a_chicken_hungry_for_an_hour_reminds_its_owner_unless_fed_again(
    consumer: Consumer, stream: StreamSource, at: Callable[[datetime], None]
) -> None:
    start = datetime(2026, 3, 10, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
    at(start)
    farm = Api("FarmFunction")
    for user in ("alice", "bob"):
        pay(user, "offline", f"p-{user}-1")
        pay(user, "offline", f"p-{user}-2")
        assert (
            farm.call("POST", "/v1/farm/feed", body={}, headers={"Idempotency-Key": "f1"}, user=user)[0]
            == 201
        )
    at(start + timedelta(minutes=240 + 30))  # bob feeds again half an hour after the meal ended
    assert (
        farm.call("POST", "/v1/farm/feed", body={}, headers={"Idempotency-Key": "f2"}, user="bob")[0] == 201
    )
    at(start + timedelta(minutes=240 + 59))
    assert run_finder()["outcomes"] == {}
    at(start + timedelta(minutes=240 + 61))
    assert run_finder()["outcomes"] == {"sent": 1, "stale": 1}  # alice's; bob's first meal is stale
    stream.pump()
    (due,) = consumer.drain(schema.REMINDER_DUE)
    assert (due["detail"]["user_id"], due["detail"]["reminder"]) == ("alice", "chicken-hungry")
    assert due["detail"]["data"] == {"hungry_since": clock.iso(start + timedelta(minutes=240))}

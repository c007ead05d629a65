"""Oxygen from payments: lots ripen, are collected before the user's local midnight, or expire after it."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from reward_ledger import clock, forest
from reward_ledger.errors import ValidationFailed
from reward_ledger.ledger import Ledger, reconcile, user_account
from tests.conftest import SEED_ENTRIES, Api
from tests.forest.conftest import pay, sweep_all

COLLECT = {"route": "/v1/forest/collect", "body": {}}


def collect(api: Api, key: str, user: str = "alice") -> tuple[int, dict, dict]:
    return api.call("POST", "/v1/forest/collect", headers={"Idempotency-Key": key}, user=user, **COLLECT)


def energy(ledger: Ledger, user: str) -> int:
    return ledger.balance(forest.energy(user))


def test_a_payment_grants_a_lot_and_feed_once(forest_api: Api, ledger: Ledger, now: datetime) -> None:
    first = pay("alice", "transit", "p1")
    again = pay("alice", "transit", "p1")
    assert first["granted"]
    assert not first["replayed"]
    assert again["replayed"]
    assert again["lot_id"] == first["lot_id"]
    assert first["expires_at"] == "2026-03-10T16:00:00.000Z"  # midnight in Shanghai
    assert first["ripe_at"] == "2026-03-10T03:00:00.000Z"
    status, body, _ = forest_api.call("GET", "/v1/forest")
    assert status == 200
    assert body["energy"] == 0
    assert body["lots"] == [
        {
            "lot_id": first["lot_id"],
            "amount": 52,
            "ripe_at": first["ripe_at"],
            "expires_at": first["expires_at"],
            "ripe": False,
        }
    ]
    assert ledger.balance(user_account("alice", "feed", "FEED")) == 90
    assert ledger.balance(forest.LOT_POOL) == 52
    assert reconcile().ok
    assert forest.pool_mismatches(ledger) == []


def test_unknown_category_grants_nothing_and_is_not_an_error(forest_api: Api, ledger: Ledger) -> None:
    assert pay("alice", "lottery", "p9") == {"granted": False}
    _, body, _ = forest_api.call("GET", "/v1/forest")
    assert body["lots"] == []
    assert reconcile().entries == SEED_ENTRIES  # nothing beyond the seed


@pytest.mark.parametrize(
    "extra",
    [
        {"amount": 1.5},
        {"amount": "100"},
        {"user_id": "a\nb"},  # a control character (a "/" is an IdP id like any other: encoded)
        {"user_id": ""},
        {"occurred_at": "yesterday"},
        {"occurred_at": "2026-03-10T02:00:00"},  # no zone
        {"time_zone": "Mars/Olympus"},
    ],
)
def test_malformed_payment_events_fail_loudly(forest_api: Api, extra: dict) -> None:
    with pytest.raises(ValidationFailed):
        pay("alice", "offline", "bad", **extra)
    assert reconcile().entries == SEED_ENTRIES  # nothing beyond the seed


def test_collect_takes_only_ripe_lots_before_midnight(forest_api: Api, ledger: Ledger, now: datetime) -> None:
    pay("alice", "transit", "p1")  # ripe at 03:00 UTC
    clock.set_now(now + timedelta(minutes=30))
    pay("alice", "bike", "p2")  # ripe at 03:30 UTC
    status, body, _ = collect(forest_api, "c1")
    assert (status, body["collected"], body["lots"]) == (201, 0, 0)

    clock.set_now(now + timedelta(hours=1, minutes=10))
    status, body, headers = collect(forest_api, "c2")
    assert (status, body["collected"], body["lots"]) == (201, 52, 1)
    assert "idempotent-replayed" not in headers
    status, replay, headers = collect(forest_api, "c2")
    assert (status, replay, headers["idempotent-replayed"]) == (201, body, "true")
    assert energy(ledger, "alice") == 52

    clock.set_now(now + timedelta(hours=13, minutes=59))  # 15:59 UTC, 23:59 in Shanghai
    _, body, _ = collect(forest_api, "c3")
    assert body["collected"] == 65
    assert energy(ledger, "alice") == 117
    _, view, _ = forest_api.call("GET", "/v1/forest")
    assert view["lots"] == []
    assert ledger.balance(forest.LOT_POOL) == 0
    assert reconcile().ok
    assert forest.pool_mismatches(ledger) == []


def test_an_uncollected_lot_expires_at_local_midnight(forest_api: Api, ledger: Ledger, now: datetime) -> None:
    pay("alice", "transit", "p1")
    clock.set_now(now + timedelta(hours=14))  # 16:00 UTC: midnight in Shanghai
    _, body, _ = collect(forest_api, "late")
    assert body["collected"] == 0  # too late, even before the sweep ran
    _, view, _ = forest_api.call("GET", "/v1/forest")
    assert view["lots"] == []
    assert sweep_all(ledger) == 1
    assert sweep_all(ledger) == 0  # a second sweep finds nothing to do
    assert ledger.balances([forest.EXPIRED, forest.LOT_POOL, forest.energy("alice")]) == {
        forest.EXPIRED: 52,
        forest.LOT_POOL: 0,
        forest.energy("alice"): 0,
    }
    assert reconcile().ok
    assert forest.pool_mismatches(ledger) == []


def test_the_sweep_leaves_lots_of_the_current_day_alone(
    forest_api: Api, ledger: Ledger, now: datetime
) -> None:
    pay("alice", "transit", "p1")
    clock.set_now(now + timedelta(hours=13, minutes=59))
    assert sweep_all(ledger) == 0
    _, body, _ = collect(forest_api, "c")
    assert body["collected"] == 52


def test_a_user_in_another_zone_keeps_lots_until_their_own_midnight(
    forest_api: Api, ledger: Ledger, now: datetime
) -> None:
    # 02:00 UTC is 22:00 the day before in New York (UTC-4 after 8 March): local midnight is 04:00 UTC.
    granted = pay("nina", "transit", "p1", time_zone="America/New_York")
    assert granted["expires_at"] == "2026-03-10T04:00:00.000Z"
    # a Shanghai user paying at the same instant keeps the lot until 16:00 UTC
    assert pay("li", "transit", "p2")["expires_at"] == "2026-03-10T16:00:00.000Z"
    clock.set_now(now + timedelta(hours=2, minutes=1))  # 04:01 UTC
    assert sweep_all(ledger) == 1
    assert ledger.balance(forest.EXPIRED) == 52
    _, body, _ = collect(forest_api, "c", user="li")
    assert body["collected"] == 52


def test_the_zone_from_the_token_is_remembered_for_payment_events(
    forest_api: Api, ledger: Ledger, now: datetime
) -> None:
    status, _, _ = forest_api.call("GET", "/v1/forest", claims={"sub": "nina", "zoneinfo": "Europe/London"})
    assert status == 200
    granted = pay("nina", "offline", "p1")
    assert granted["expires_at"] == "2026-03-11T00:00:00.000Z"  # London midnight (UTC+0 in March)


def test_collect_needs_a_token_a_key_and_an_empty_body(forest_api: Api) -> None:
    status, body, _ = forest_api.call(
        "POST", "/v1/forest/collect", body={}, user=None, headers={"Idempotency-Key": "k"}
    )
    assert (status, body["type"]) == (401, "unauthorized")
    status, body, _ = forest_api.call("POST", "/v1/forest/collect", body={})
    assert (status, body["type"]) == (400, "validation-error")
    status, body, _ = forest_api.call(
        "POST", "/v1/forest/collect", body={"user": "bob"}, headers={"Idempotency-Key": "k"}
    )
    assert (status, body["type"]) == (400, "validation-error")


def test_many_lots_are_collected_in_one_go(forest_api: Api, ledger: Ledger, now: datetime) -> None:
    for i in range(30):
        pay("alice", "offline", f"p{i}")
    clock.set_now(now + timedelta(hours=2))
    _, body, _ = collect(forest_api, "all")
    assert (body["collected"], body["lots"]) == (150, 30)
    assert energy(ledger, "alice") == 150
    assert reconcile().ok
    assert forest.pool_mismatches(ledger) == []


def test_a_lot_earned_just_before_midnight_is_ripe_at_once(
    forest_api: Api, ledger: Ledger, now: datetime
) -> None:
    clock.set_now(now + timedelta(hours=13, minutes=30))  # 23:30 in Shanghai
    granted = pay("alice", "transit", "late")
    assert granted["ripe_at"] == "2026-03-10T15:30:00.000Z"
    _, body, _ = collect(forest_api, "c")
    assert body["collected"] == 52

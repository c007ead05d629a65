"""Challenges: check-ins on consecutive local days (two on one day count once), a missed day fails,
completing fires challenge.completed once for the first winners, and a campaign pays the prize once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from infra.apigw import eventbridge_event
from infra.handlers import invoke
from reward_ledger import clock
from reward_ledger.challenges import still_unchecked
from reward_ledger.ledger import Ledger, user_account
from reward_ledger.ledger.models import EntryItem
from reward_ledger.outbound.schema import from_change
from reward_ledger.reminders.models import Reminder, partition
from tests.programs.conftest import Caller, pay, register, staff

T0 = datetime(2026, 11, 1, 2, tzinfo=UTC)  # 10:00 in Asia/Shanghai (the default zone)
ROUTE = "/v1/merchants/{merchant_id}/challenges"


def open_challenge(api: Caller, cid: str, days: int = 7, **extra: Any) -> None:
    body = {
        "challenge_id": cid,
        "title": "Drink water",
        "days": days,
        "checkin": {"event": "payment.completed", "min_amount": 300},
        **extra,
    }
    status, reply = api.post("/v1/merchants/m1/challenges", ROUTE, body, staff("m1"), merchant_id="m1")
    assert status == 201 and reply == {"challenge_id": cid, "status": "open"}, reply


def join(api: Caller, cid: str, user: str) -> tuple[int, dict[str, Any]]:
    return api.post(
        f"/v1/challenges/{cid}/participants",
        "/v1/challenges/{challenge_id}/participants",
        {},
        {"sub": user},
        challenge_id=cid,
    )


def mine(api: Caller, user: str) -> dict[str, dict[str, Any]]:
    status, body = api.get("/v1/me/challenges", user)
    assert status == 200, body
    return {c["challenge_id"]: c for c in body["challenges"]}


def completions(cid: str) -> list[dict[str, Any]]:
    """The challenge.completed events the stream publishes for the committed entries."""
    events = []
    for entry in EntryItem.scan(EntryItem.kind == "challenge.completed"):
        image = {k: v for k, v in entry.serialize().items()}
        plain = {k: next(iter(v.values())) for k, v in image.items()}
        for out in from_change("INSERT", {"pk": entry.pk, "sk": "ENTRY"}, None, plain):
            if out.detail_type == "challenge.completed" and out.detail.challenge_id == cid:  # type: ignore[union-attr]
                events.append(out.detail.model_dump())
    return events


def test_seven_local_days_complete_once_and_a_missed_day_fails(ledger_table: str, ledger: Ledger) -> None:
    api = Caller("ChallengesFunction")
    register("m1", prepaid=10_000)
    open_challenge(api, "water")
    merchants = Caller("MerchantsFunction")
    prize = {
        "campaign_id": "prize",
        "name": "Prize",
        "trigger": {"event": "challenge.completed", "challenge_id": "water"},
        "effect": {"kind": "cash", "amount": 888},
    }
    assert (
        merchants.post(
            "/v1/merchants/m1/campaigns",
            "/v1/merchants/{merchant_id}/campaigns",
            prize,
            staff("m1"),
            merchant_id="m1",
        )[0]
        == 201
    )
    status, _ = merchants.post(
        "/v1/merchants/m1/campaigns/prize/activate",
        "/v1/merchants/{merchant_id}/campaigns/{campaign_id}/activate",
        {"budget": 5_000},
        staff("m1"),
        merchant_id="m1",
        campaign_id="prize",
    )
    assert status == 201
    clock.set_now(T0)
    assert join(api, "water", "alice")[0] == 201
    assert join(api, "water", "bob")[0] == 201
    assert join(api, "water", "alice")[1]["type"] == "already-done"
    for day in range(7):
        clock.set_now(T0 + timedelta(days=day))
        pay("alice", 500, f"a{day}", "m1")
        pay("alice", 500, f"a{day}-again", "m1")  # a second payment the same local day counts once
        if day != 2:
            pay("bob", 500, f"b{day}", "m1")  # bob misses day 3
        pay("carol", 100, f"c{day}", "m1")  # not a participant
        if day == 3:
            progress = mine(api, "alice")["water"]
            assert (progress["checked_in_days"], progress["today_checked_in"]) == (4, True)
            assert progress["next_deadline"] == "2026-11-06T00:00:00+08:00"
    assert mine(api, "alice")["water"]["status"] == "completed"
    assert mine(api, "bob")["water"]["status"] == "failed"
    [event] = completions("water")
    assert event["user_id"] == "alice"
    for _ in range(2):  # EventBridge may deliver twice: the prize is paid once
        detail = {"challenge_id": "water", "user_id": "alice", "entry_id": event["entry_id"]}
        invoke("CampaignTriggersFunction", eventbridge_event("reward-ledger", "challenge.completed", detail))
    assert ledger.balance(user_account("alice", "cash", "CNY")) == 888
    assert ledger.balance(user_account("bob", "cash", "CNY")) == 0


def test_staff_check_ins_the_first_winners_and_the_reminder(ledger_table: str) -> None:
    api = Caller("ChallengesFunction")
    register("m1")
    open_challenge(api, "two", days=2, max_winners=1)
    clock.set_now(T0)
    for user in ("ann", "ben"):
        join(api, "two", user)
    checkin = "/v1/merchants/{merchant_id}/challenges/{challenge_id}/checkins"
    path = "/v1/merchants/m1/challenges/two/checkins"
    status, body = api.post(
        path, checkin, {"user_id": "ann"}, staff("m2"), merchant_id="m1", challenge_id="two"
    )
    assert status == 403
    status, body = api.post(
        path, checkin, {"user_id": "zed"}, staff("m1"), merchant_id="m1", challenge_id="two"
    )
    assert status == 404
    [reminder] = [r for r in Reminder.query(partition("ann")) if r.sk.startswith("R#challenge-checkin#")]
    assert reminder.data["next_deadline"] == "2026-11-02T00:00:00+08:00" and still_unchecked(reminder)
    for day in range(2):
        clock.set_now(T0 + timedelta(days=day))
        for user in ("ann", "ben"):
            status, body = api.post(
                path, checkin, {"user_id": user}, staff("m1"), merchant_id="m1", challenge_id="two"
            )
            assert status == 201, body
    assert not still_unchecked(reminder)
    assert body["status"] == "completed" and body["winner"] is False  # ann took the one winner's place
    assert [e["user_id"] for e in completions("two")] == ["ann"]
    clock.set_now(T0 + timedelta(days=2))
    status, body = api.post(
        path, checkin, {"user_id": "ann"}, staff("m1"), merchant_id="m1", challenge_id="two"
    )
    assert status == 409 and body["type"] == "already-done"

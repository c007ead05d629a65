"""Challenge days: a staff check-in is keyed by its Idempotency-Key while a local day counts once, and a
missed day fails the challenge through the expiry sweep, without the user coming back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from infra.handlers import invoke
from reward_ledger import clock, sweep
from reward_ledger.challenges.items import Participant, participant_pk, settings
from reward_ledger.ledger.models import EntryItem
from tests.programs.conftest import Caller, pay, register, staff
from tests.programs.test_challenges import join, mine, open_challenge

T0 = datetime(2026, 11, 1, 2, tzinfo=UTC)  # 10:00 on 1 November in Asia/Shanghai (the default zone)
DAY_2_DEADLINE = datetime(2026, 11, 2, 16, tzinfo=UTC)  # 3 November, 00:00 in Asia/Shanghai
CHECKIN = "/v1/merchants/{merchant_id}/challenges/{challenge_id}/checkins"


def check_in(api: Caller, cid: str, user: str, key: str) -> tuple[int, dict[str, Any]]:
    path = f"/v1/merchants/m1/challenges/{cid}/checkins"
    return api.post(path, CHECKIN, {"user_id": user}, staff("m1"), key, merchant_id="m1", challenge_id=cid)


def participant(cid: str, user: str) -> Participant:
    return Participant.get(participant_pk(cid, user), "PART", consistent_read=True)


def entries(kind: str) -> int:
    return sum(1 for _ in EntryItem.scan(EntryItem.kind == kind))


def run_the_sweep_worker() -> dict[str, int]:
    """One scheduled run as the worker runs it: an SQS message per expiry shard, the worker function."""
    records = [
        {"messageId": f"m{i}", "receiptHandle": f"r{i}", "body": job.body(), "eventSource": "aws:sqs"}
        for i, job in enumerate(sweep.jobs_for())
    ]
    answer = invoke("ExpiryWorkerFunction", {"Records": records})
    assert answer["batchItemFailures"] == []
    return {"failed": entries("challenge.failed")}


def test_a_staff_check_in_replays_its_first_result_and_a_day_counts_once(ledger_table: str) -> None:
    api = Caller("ChallengesFunction")
    register("m1")
    open_challenge(api, "three", days=3)  # check-ins by a payment of 3 CNY or more, or by staff
    clock.set_now(T0)
    join(api, "three", "ann")
    join(api, "three", "ben")
    status, first = check_in(api, "three", "ann", "till-1")
    assert status == 201 and first["result"] == "checked-in" and first["checked_in_days"] == 1
    [outcome] = pay("ann", 500, "p-day-1", "m1")["checkins"]  # the same day by payment: counted once
    assert outcome["result"] == "already-checked-in" and participant("three", "ann").checked == 1
    clock.set_now(T0 + timedelta(days=1))  # a replay the next day still answers the first result
    status, again = check_in(api, "three", "ann", "till-1")
    assert (status, again) == (201, first)
    assert participant("three", "ann").checked == 1
    status, conflict = check_in(api, "three", "ben", "till-1")  # another body under a used key
    assert status == 409 and conflict["type"] == "idempotency-conflict"
    assert participant("three", "ben").checked == 0 and participant("three", "ben").last_day == "2026-10-31"
    [by_payment] = pay("ann", 500, "p-day-2", "m1")["checkins"]
    assert (by_payment["result"], by_payment["checked_in_days"]) == ("checked-in", 2)
    before = participant("three", "ann").serialize()
    status, second = check_in(api, "three", "ann", "till-2")  # a second key the same local day
    assert status == 201 and second["result"] == "already-checked-in"
    assert by_payment.pop("replayed") is False
    assert second == {**by_payment, "result": "already-checked-in"}
    assert participant("three", "ann").serialize() == before  # nothing changed
    assert entries("challenge.checkin.repeated") == 1 and entries("challenge.checkin") == 2
    assert check_in(api, "three", "ann", "till-2") == (201, second)  # its replay answers it again
    assert check_in(api, "three", "ben", "till-2")[1]["type"] == "idempotency-conflict"
    clock.set_now(T0 + timedelta(days=2))
    status, done = check_in(api, "three", "ann", "till-3")
    assert (status, done["status"], done["winner"]) == (201, "completed", True)
    status, after = check_in(api, "three", "ann", "till-4")  # the last day again: completed, once
    assert status == 201 and after == {**done, "result": "already-checked-in"}
    assert entries("challenge.completed") == 1
    clock.set_now(T0 + timedelta(days=5))  # after the last day a replay still answers its first result
    assert check_in(api, "three", "ann", "till-3") == (201, done)


def test_the_sweep_fails_a_missed_day_once_and_a_check_in_in_time_wins(ledger_table: str) -> None:
    api = Caller("ChallengesFunction")
    register("m1")
    open_challenge(api, "week", days=7, checkin={"event": "merchant.verified"})
    clock.set_now(T0)
    for user in ("ann", "ben", "cat"):
        join(api, "week", user)
        assert check_in(api, "week", user, f"{user}-1")[0] == 201
    clock.set_now(DAY_2_DEADLINE - timedelta(seconds=1))  # 23:59:59 on day 2: ann checks in in time
    assert check_in(api, "week", "ann", "ann-2")[0] == 201
    assert participant("week", "ben").expires_at == clock.iso(DAY_2_DEADLINE)
    clock.set_now(DAY_2_DEADLINE + timedelta(seconds=1))  # inside the grace: nothing is failed yet
    assert run_the_sweep_worker() == {"failed": 0}
    late = check_in(api, "week", "cat", "cat-late")  # after the deadline: the check-in loses
    assert late[0] == 409 and late[1]["type"] == "already-done"
    assert participant("week", "cat").status == "failed" and participant("week", "cat").exp_bucket is None
    clock.set_now(DAY_2_DEADLINE + timedelta(seconds=settings().fail_grace_seconds + 1))
    assert run_the_sweep_worker() == {"failed": 2}  # ben by the sweep, cat by the late check-in
    assert participant("week", "ben").status == "failed" and participant("week", "ben").exp_bucket is None
    assert mine(api, "ben")["week"]["status"] == "failed"
    assert mine(api, "ann")["week"]["status"] == "active"  # her deadline moved to the end of day 3
    assert participant("week", "ann").expires_at == clock.iso(DAY_2_DEADLINE + timedelta(days=1))
    assert run_the_sweep_worker() == {"failed": 2}  # a second run fails nobody twice
    assert check_in(api, "week", "ben", "ben-late")[0] == 409
    assert participant("week", "ben").checked == 1

"""Withdrawals: cash -> wallet as a pending entry, resolved once by the SQS worker."""

from __future__ import annotations

import json

import boto3

from reward_ledger.games import config
from reward_ledger.ledger import Ledger, hold_account, reconcile, user_account
from tests.conftest import Api
from tests.games.conftest import Player, drain, key, patch_config, run_worker, withdrawal_message

CASH = user_account("alice", "cash", "CNY")
WALLET = user_account("alice", "wallet", "CNY")
HOLD = hold_account("CNY")


def earn(games_api: Api, times: int, user: str = "alice") -> None:
    for _ in range(2 * times):  # 12 fen per time: two results of 6
        assert Player(games_api, user).play(score=500, duration_ms=60_000)[1]["status"] == "credited"


def withdraw(api: Api, amount: object, *, user: str = "alice", idem: str | None = None):
    return api.call(
        "POST",
        "/v1/withdrawals",
        body={"amount": amount},
        headers={"Idempotency-Key": idem or key("wd")},
        user=user,
    )


def status_of(api: Api, withdrawal_id: str, user: str = "alice"):
    return api.call(
        "GET",
        f"/v1/withdrawals/{withdrawal_id}",
        route="/v1/withdrawals/{withdrawal_id}",
        path_parameters={"withdrawal_id": withdrawal_id},
        user=user,
    )


def test_below_threshold_is_422(games_api: Api, withdrawals_api: Api, games_ledger: Ledger) -> None:
    earn(games_api, 1)
    threshold = config().withdrawals.threshold
    status, body, headers = withdraw(withdrawals_api, threshold - 1)
    assert (status, body["type"]) == (422, "below-threshold")
    assert headers["content-type"] == "application/problem+json"
    assert games_ledger.balance(CASH) == 12


def test_more_than_the_cash_is_422(games_api: Api, withdrawals_api: Api, games_ledger: Ledger) -> None:
    earn(games_api, 1)
    status, body, _ = withdraw(withdrawals_api, 13)
    assert (status, body["type"]) == (422, "insufficient-funds")
    assert games_ledger.balance(CASH) == 12


def test_a_withdrawal_is_pending_then_completed_by_the_worker(
    games_api: Api, withdrawals_api: Api, withdrawal_queue: str, games_ledger: Ledger
) -> None:
    earn(games_api, 2)
    status, body, _ = withdraw(withdrawals_api, 20, idem="w-1")
    assert status == 202, body
    assert body == {"withdrawal_id": body["withdrawal_id"], "status": "pending"}
    wid = body["withdrawal_id"]
    assert games_ledger.balances([CASH, HOLD, WALLET]) == {CASH: 4, HOLD: 20, WALLET: 0}
    status, view, _ = status_of(withdrawals_api, wid)
    assert (status, view["status"], view["amount"]) == (200, "pending", 20)

    # a client retry replays 202 and re-sends the message (harmless: the worker is idempotent)
    status, again, headers = withdraw(withdrawals_api, 20, idem="w-1")
    assert (status, again, headers["idempotent-replayed"]) == (202, body, "true")

    records = drain(withdrawal_queue)
    assert [json.loads(r["body"]) for r in records] == [{"withdrawal_id": wid}] * 2
    assert run_worker(records) == {"batchItemFailures": []}
    assert games_ledger.balances([CASH, HOLD, WALLET]) == {CASH: 4, HOLD: 0, WALLET: 20}
    assert status_of(withdrawals_api, wid)[1]["status"] == "completed"
    assert reconcile().ok


def test_a_message_redelivered_three_times_completes_once(
    games_api: Api, withdrawals_api: Api, withdrawal_queue: str, games_ledger: Ledger
) -> None:
    earn(games_api, 1)
    _, body, _ = withdraw(withdrawals_api, 10)
    wid = body["withdrawal_id"]
    drain(withdrawal_queue)
    for delivery in range(3):  # three separate deliveries of the same message
        assert run_worker([withdrawal_message(wid, delivery)]) == {"batchItemFailures": []}
    # and three copies inside one batch
    assert run_worker([withdrawal_message(wid, n) for n in range(3, 6)]) == {"batchItemFailures": []}
    assert games_ledger.balances([CASH, HOLD, WALLET]) == {CASH: 2, HOLD: 0, WALLET: 10}
    resolutions = [e for e in _entries() if e.kind == "games.withdrawal.post"]
    assert len(resolutions) == 1
    assert resolutions[0].metadata["actor"] == "withdrawal-worker"


def _entries():
    from reward_ledger.ledger.models import EntryItem

    return list(EntryItem.scan(EntryItem.sk == "ENTRY"))


def test_the_risk_check_rejects_large_withdrawals_back_to_cash(
    games_api: Api, withdrawals_api: Api, withdrawal_queue: str, games_ledger: Ledger, monkeypatch
) -> None:
    earn(games_api, 3)
    patch_config(monkeypatch, "risk", max_auto_amount=30)
    _, body, _ = withdraw(withdrawals_api, 31)
    assert run_worker(drain(withdrawal_queue)) == {"batchItemFailures": []}
    assert status_of(withdrawals_api, body["withdrawal_id"])[1]["status"] == "rejected"
    assert games_ledger.balances([CASH, HOLD, WALLET]) == {CASH: 36, HOLD: 0, WALLET: 0}


def test_a_bad_message_fails_alone_in_its_batch(
    games_api: Api, withdrawals_api: Api, withdrawal_queue: str, games_ledger: Ledger
) -> None:
    earn(games_api, 1)
    assert withdraw(withdrawals_api, 10)[0] == 202
    records = [withdrawal_message("enotawithdrawal", 0), *drain(withdrawal_queue), withdrawal_message("x", 1)]
    records[2]["body"] = "not json"
    result = run_worker(records)
    assert result == {
        "batchItemFailures": [{"itemIdentifier": "m-enotawithdrawal-0"}, {"itemIdentifier": "m-x-1"}]
    }
    assert games_ledger.balance(WALLET) == 10


def test_another_users_withdrawal_is_not_found(
    games_api: Api, withdrawals_api: Api, games_ledger: Ledger
) -> None:
    earn(games_api, 1)
    _, body, _ = withdraw(withdrawals_api, 10)
    status, problem, _ = status_of(withdrawals_api, body["withdrawal_id"], user="bob")
    assert (status, problem["type"]) == (404, "not-found")
    assert status_of(withdrawals_api, "enosuchwithdrawal")[0] == 404
    _, credited, _ = Player(games_api).play()
    assert status_of(withdrawals_api, credited["entry_id"])[0] == 404  # a game entry is no withdrawal


def test_the_daily_withdrawal_limit(
    games_api: Api, withdrawals_api: Api, games_ledger: Ledger, monkeypatch
) -> None:
    earn(games_api, 3)  # 36 fen
    patch_config(monkeypatch, "withdrawals", daily_limit=25)
    assert withdraw(withdrawals_api, 15)[0] == 202
    status, body, _ = withdraw(withdrawals_api, 11)
    assert (status, body["type"]) == (422, "daily-cap-reached")
    assert "10 fen" in body["detail"]
    assert withdraw(withdrawals_api, 10)[0] == 202
    assert games_ledger.balance(CASH) == 11


def test_only_money_that_left_counts_against_the_daily_limit(
    games_api: Api, withdrawals_api: Api, withdrawal_queue: str, games_ledger: Ledger, monkeypatch
) -> None:
    earn(games_api, 3)  # 36 fen
    patch_config(monkeypatch, "withdrawals", daily_limit=25)
    patch_config(monkeypatch, "risk", max_auto_amount=12)
    assert withdraw(withdrawals_api, 15)[0] == 202
    assert run_worker(drain(withdrawal_queue)) == {"batchItemFailures": []}  # rejected: 15 > 12
    assert withdraw(withdrawals_api, 20)[0] == 202  # 15 + 20 > 25, but the rejected 15 was given back
    run_worker(drain(withdrawal_queue))
    assert withdraw(withdrawals_api, 12)[0] == 202
    run_worker(drain(withdrawal_queue))  # paid out: 12 of today's 25 are used
    assert games_ledger.balances([CASH, WALLET]) == {CASH: 24, WALLET: 12}
    status, body, _ = withdraw(withdrawals_api, 14)
    assert (status, body["type"]) == (422, "daily-cap-reached")
    _, pending, _ = withdraw(withdrawals_api, 13)  # 12 + 13 = 25: the last of today's limit
    drain(withdrawal_queue)  # the message is lost: the hold timeout voids it
    games_ledger.time_out(pending["withdrawal_id"])
    assert status_of(withdrawals_api, pending["withdrawal_id"])[1]["status"] == "rejected"
    games_ledger.time_out(pending["withdrawal_id"])  # a repeated timeout gives nothing back twice
    assert withdraw(withdrawals_api, 13)[0] == 202  # the timed-out 13 was given back, once
    assert withdraw(withdrawals_api, 10)[0] == 422
    assert reconcile().ok


def test_malformed_withdrawals_are_400(withdrawals_api: Api) -> None:
    for amount in (1.5, "20", -5, 0, None):
        status, body, _ = withdraw(withdrawals_api, amount)
        assert (status, body["type"]) == (400, "validation-error")
    status, body, _ = withdrawals_api.call("POST", "/v1/withdrawals", body={"amount": 20})
    assert (status, body["type"]) == (400, "validation-error")


def test_the_worker_queue_receives_exactly_one_message_per_request(
    games_api: Api, withdrawals_api: Api, withdrawal_queue: str
) -> None:
    earn(games_api, 2)
    withdraw(withdrawals_api, 10)
    withdraw(withdrawals_api, 10)
    sqs = boto3.client("sqs", region_name="us-east-1")
    attrs = sqs.get_queue_attributes(
        QueueUrl=withdrawal_queue, AttributeNames=["ApproximateNumberOfMessages"]
    )
    assert attrs["Attributes"]["ApproximateNumberOfMessages"] == "2"


def test_a_failed_send_asks_for_a_retry_which_sends_again(
    games_api: Api, withdrawals_api: Api, withdrawal_queue: str, games_ledger: Ledger, monkeypatch
) -> None:
    earn(games_api, 1)
    monkeypatch.setenv("WITHDRAWAL_QUEUE_URL", withdrawal_queue + "-missing")
    status, body, _ = withdraw(withdrawals_api, 10, idem="w-lost")
    assert (status, body["type"]) == (503, "contention")
    assert games_ledger.balance(HOLD) == 10  # recorded once
    monkeypatch.setenv("WITHDRAWAL_QUEUE_URL", withdrawal_queue)
    status, body, headers = withdraw(withdrawals_api, 10, idem="w-lost")
    assert (status, headers["idempotent-replayed"]) == (202, "true")
    assert run_worker(drain(withdrawal_queue)) == {"batchItemFailures": []}
    assert games_ledger.balances([CASH, HOLD, WALLET]) == {CASH: 2, HOLD: 0, WALLET: 10}

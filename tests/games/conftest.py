"""Game fixtures: funded budgets, a pinned clock, an SQS queue for withdrawals, and a player helper."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from infra.handlers import invoke
from reward_ledger import clock
from reward_ledger.games import seed_budgets, sign
from reward_ledger.ledger import Ledger
from tests.conftest import Api

# 10:00 in Asia/Shanghai
T0 = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)
SECRET = b"local-game-secret"
HOUSE_FUNDS = 100_000

_keys = itertools.count()


def key(prefix: str = "k") -> str:
    return f"{prefix}-{next(_keys)}"


def advance(**delta: float) -> None:
    clock.set_now(clock.now() + timedelta(**delta))


class Player:
    """Opens sessions and submits signed results through the games function."""

    def __init__(self, api: Api, user: str = "alice", device: str | None = "") -> None:
        self.api = api
        self.user = user
        # one device per player unless a test shares one (a result without a device id is held)
        self.device = f"dev-{user}" if device == "" else device

    def open(
        self, game: str = "puzzle", *, idem: str | None = None
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        return self.api.call(
            "POST",
            f"/v1/games/{game}/sessions",
            route="/v1/games/{game_id}/sessions",
            path_parameters={"game_id": game},
            body={},
            headers={"Idempotency-Key": idem or key("open")},
            user=self.user,
        )

    def submit(
        self,
        session_id: str,
        score: int,
        duration_ms: int,
        *,
        idem: str | None = None,
        signature: str | None = None,
        user: str | None = None,
        body: Any = None,
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        headers = {"Idempotency-Key": idem or key("result")}
        if self.device:
            headers["X-Device-Id"] = self.device
        payload = (
            body
            if body is not None
            else {
                "score": score,
                "duration_ms": duration_ms,
                "signature": signature or sign(SECRET, session_id, score, duration_ms),
            }
        )
        return self.api.call(
            "POST",
            f"/v1/games/sessions/{session_id}/result",
            route="/v1/games/sessions/{session_id}/result",
            path_parameters={"session_id": session_id},
            body=payload,
            headers=headers,
            user=user or self.user,
        )

    def play(
        self, game: str = "puzzle", score: int = 500, duration_ms: int = 30_000
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        status, opened, _ = self.open(game)
        assert status == 201, opened
        advance(milliseconds=duration_ms)
        return self.submit(opened["session_id"], score, duration_ms)


@pytest.fixture
def games_ledger(ledger: Ledger) -> Ledger:
    clock.set_now(T0)
    seed_budgets(ledger, house=HOUSE_FUNDS)
    return ledger


@pytest.fixture
def games_api(games_ledger: Ledger) -> Api:
    return Api("GamesFunction")


@pytest.fixture
def admin_api(games_ledger: Ledger) -> Api:
    return Api("GamesAdminFunction")


@pytest.fixture
def withdrawal_queue(ledger_table: str, monkeypatch: pytest.MonkeyPatch) -> str:
    url = boto3.client("sqs", region_name="us-east-1").create_queue(QueueName="withdrawals")["QueueUrl"]
    monkeypatch.setenv("WITHDRAWAL_QUEUE_URL", url)
    return str(url)


@pytest.fixture
def withdrawals_api(games_ledger: Ledger, withdrawal_queue: str) -> Api:
    return Api("WithdrawalsFunction")


def drain(queue_url: str) -> list[dict[str, Any]]:
    """Receive every message of the queue as Lambda's SQS event records (and delete them)."""
    sqs = boto3.client("sqs", region_name="us-east-1")
    records: list[dict[str, Any]] = []
    while True:
        got = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
        if not got:
            return records
        for message in got:
            records.append(sqs_record(message["Body"], message["MessageId"]))
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])


def sqs_record(body: str, message_id: str) -> dict[str, Any]:
    return {
        "messageId": message_id,
        "receiptHandle": f"rh-{message_id}",
        "body": body,
        "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "0"},
        "messageAttributes": {},
        "md5OfBody": "",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:000000000000:withdrawals",
        "awsRegion": "us-east-1",
    }


def run_worker(records: list[dict[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = invoke("WithdrawalWorkerFunction", {"Records": records})
    return result


def withdrawal_message(withdrawal_id: str, n: int = 0) -> dict[str, Any]:
    return sqs_record(json.dumps({"withdrawal_id": withdrawal_id}), f"m-{withdrawal_id}-{n}")


def patch_config(monkeypatch: pytest.MonkeyPatch, section: str, **values: Any) -> None:
    """Run a test with other numbers in one section of games.toml (``risk`` lives in ``withdrawals``)."""
    from reward_ledger.games import antifraud, catalog, rewards, sessions, withdrawals

    current = catalog.config()
    if section == "risk":
        risk = current.withdrawals.risk.model_copy(update=values)
        updated = current.model_copy(
            update={"withdrawals": current.withdrawals.model_copy(update={"risk": risk})}
        )
    else:
        part = getattr(current, section).model_copy(update=values)
        updated = current.model_copy(update={section: part})
    for module in (antifraud, catalog, rewards, sessions, withdrawals):
        monkeypatch.setattr(module, "config", lambda: updated)

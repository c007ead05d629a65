"""Fixtures of the forest, farm and expiry tests: a pinned clock, payments, friends, sweeps."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from infra.apigw import eventbridge_event
from infra.handlers import invoke
from reward_ledger import clock
from reward_ledger.ledger import Ledger
from reward_ledger.wiring import PRODUCT
from tests.conftest import Api

# 10:00 in Shanghai (UTC+8) on 2026-03-10; the user's local midnight is 16:00 UTC the same day.
T0 = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)


@pytest.fixture
def now(ledger_table: str) -> Iterator[datetime]:
    clock.set_now(T0)
    yield T0
    clock.set_now(None)


@pytest.fixture
def forest_api(now: datetime) -> Api:
    return Api("ForestFunction")


@pytest.fixture
def farm_api(now: datetime) -> Api:
    return Api("FarmFunction")


@pytest.fixture
def friends_api(now: datetime) -> Api:
    return Api("FriendsFunction")


def pay(user: str, category: str, payment_id: str, **extra: Any) -> Any:
    """Deliver a payment.completed event (occurred now) to the payments function."""
    detail = {
        "payment_id": payment_id,
        "user_id": user,
        "amount": 1000,
        "category": category,
        "occurred_at": clock.iso(clock.now()),
        **extra,
    }
    return invoke("PaymentsFunction", eventbridge_event("payments", "payment.completed", detail))


def befriend(a: str, b: str) -> None:
    api = Api("FriendsFunction")
    for user, other in ((a, b), (b, a)):
        status, body, _ = api.call(
            "PUT",
            f"/v1/friends/{other}",
            route="/v1/friends/{friend_id}",
            path_parameters={"friend_id": other},
            user=user,
        )
        assert status == 200, body


def sweep_all(ledger: Ledger) -> int:
    """Run every shard's job of the sweep (and its continuations) in process; how many items it expired."""
    return PRODUCT.sweeper(ledger).sweep_all()


def sqs_event(bodies: list[str]) -> dict[str, Any]:
    return {
        "Records": [
            {
                "messageId": f"m{i}",
                "receiptHandle": f"r{i}",
                "body": body,
                "attributes": {},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:000000000000:ExpiryQueue",
                "awsRegion": "us-east-1",
            }
            for i, body in enumerate(bodies)
        ]
    }


def job_body(shard: int) -> str:
    return json.dumps({"shard": shard})


@pytest.fixture
def expiry_queue(ledger_table: str, monkeypatch: pytest.MonkeyPatch) -> str:
    url = boto3.client("sqs", region_name="us-east-1").create_queue(QueueName="ExpiryQueue")["QueueUrl"]
    monkeypatch.setenv("EXPIRY_QUEUE_URL", url)
    return url

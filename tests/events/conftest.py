"""Fixtures of the events-out tests: the bus (captured by a queue, as a consumer would), the stream."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import boto3
import pytest

from infra.handlers import invoke
from infra.streams import ShardReader, StreamMapping, StreamSource
from reward_ledger import clock
from tests.forest.conftest import T0

BUS = "reward-ledger-test"


class Consumer:
    """A consumer's queue behind a rule on the bus: every event EventBridge accepted, in order."""

    def __init__(self) -> None:
        self.events = boto3.client("events", region_name="us-east-1")
        self.sqs = boto3.client("sqs", region_name="us-east-1")
        self.events.create_event_bus(Name=BUS)
        self.url = self.sqs.create_queue(QueueName="consumer")["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])
        self.events.put_rule(
            Name="all", EventBusName=BUS, EventPattern=json.dumps({"source": ["reward-ledger"]})
        )
        self.events.put_targets(
            Rule="all", EventBusName=BUS, Targets=[{"Id": "q", "Arn": arn["Attributes"]["QueueArn"]}]
        )
        self.received: list[dict[str, Any]] = []

    def drain(self, detail_type: str | None = None) -> list[dict[str, Any]]:
        while True:
            messages = self.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10).get("Messages", [])
            if not messages:
                break
            for message in messages:
                self.received.append(json.loads(message["Body"]))
                self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])
        return [e for e in self.received if detail_type is None or e["detail-type"] == detail_type]


@pytest.fixture
def consumer(ledger_table: str, monkeypatch: pytest.MonkeyPatch) -> Consumer:
    monkeypatch.setenv("EVENT_BUS_NAME", BUS)
    return Consumer()


@pytest.fixture
def stream(ledger_table: str, consumer: Consumer) -> StreamSource:
    """The ledger table's stream feeding the publisher as its event source mapping does."""
    mapping = StreamMapping(
        "LedgerStream", "LedgerTable", "PublisherFunction", 100, True, 3, report_batch_item_failures=True
    )
    return StreamSource(mapping, ShardReader(ledger_table), invoke)


@pytest.fixture
def at() -> Iterator[Callable[[datetime], None]]:
    clock.set_now(T0)
    yield clock.set_now
    clock.set_now(None)

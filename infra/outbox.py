"""The local outbox: what the stack's functions put on EventBridge, as a mobile developer would receive it.

At start-up the template's own buses (``AWS::Events::EventBus``) are created in moto with one local rule
each that matches every event of the ledger (source ``reward-ledger``) and targets a local SQS queue;
moto applies the rule when a function calls ``PutEvents``, exactly as EventBridge would deliver to a
consumer's queue. ``GET /_local/outbox?detail-type=&user_id=`` drains the queue into the outbox (first
pumping the streams, so what was committed before the call is there) and lists it, oldest first.

Whoever drains an event (the router thread, every poll interval, or a listing) hands it once to
``on_event``: the stack delivers it to the template's own rules on those buses (the campaign triggers'
``game.result`` and ``story.choice``), as EventBridge delivers to a rule's targets.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

from infra.template import LOCAL_REGION

OUTBOX_QUEUE = "local-outbox"
OUTBOX_RULE = "local-outbox"
SOURCES = ["reward-ledger"]


class Outbox:
    def __init__(self, bus_names: list[str], on_event: Callable[[dict[str, Any]], Any] | None = None) -> None:
        import boto3

        self.buses = list(bus_names)
        self.on_event = on_event
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.router_errors: list[str] = []
        self.events = boto3.client("events", region_name=LOCAL_REGION)
        self.sqs = boto3.client("sqs", region_name=LOCAL_REGION)
        self.queue_url = self.sqs.create_queue(QueueName=OUTBOX_QUEUE)["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["QueueArn"])
        queue_arn = arn["Attributes"]["QueueArn"]
        for bus in bus_names:
            if bus != "default":
                self.events.create_event_bus(Name=bus)
            self.events.put_rule(
                Name=OUTBOX_RULE, EventBusName=bus, EventPattern=json.dumps({"source": SOURCES})
            )
            self.events.put_targets(
                Rule=OUTBOX_RULE, EventBusName=bus, Targets=[{"Id": "outbox", "Arn": queue_arn}]
            )
        self.published: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def start(self, interval: float) -> None:
        def run() -> None:
            while not self._stop.wait(interval):
                try:
                    self.drain()
                except Exception as exc:  # a failing delivery is the target's to report; the router goes on
                    self.router_errors.append(f"{type(exc).__name__}: {exc}")

        self._thread = threading.Thread(target=run, name="local-outbox-router", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)

    def drain(self) -> None:
        received = self._receive_all()
        if self.on_event is not None:
            for event in received:
                self.on_event(event)

    def _receive_all(self) -> list[dict[str, Any]]:
        received: list[dict[str, Any]] = []
        with self._lock:
            while True:
                answer = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10)
                messages = answer.get("Messages", [])
                if not messages:
                    return received
                for message in messages:
                    event = json.loads(message["Body"])
                    self.published.append(event)
                    received.append(event)
                self.sqs.delete_message_batch(
                    QueueUrl=self.queue_url,
                    Entries=[
                        {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)
                    ],
                )

    def list(self, detail_type: str | None = None, user_id: str | None = None) -> list[dict[str, Any]]:
        self.drain()
        with self._lock:
            events = list(self.published)
        return [e for e in events if _matches(e, detail_type, user_id)]


def _matches(event: dict[str, Any], detail_type: str | None, user_id: str | None) -> bool:
    if detail_type and event.get("detail-type") != detail_type:
        return False
    if not user_id:
        return True
    detail = event.get("detail") or {}
    if detail.get("user_id") == user_id:
        return True
    owner = f"user:{user_id}/"
    return any(str(p.get("account", "")).startswith(owner) for p in detail.get("postings") or [])


def bus_names(stack: Any) -> list[str]:
    """Local names of the template's buses (a bus's Ref is its logical id locally)."""
    from infra.template import cloudformation

    resources = cloudformation(stack.model.template).get("Resources", {})
    return sorted(lid for lid, res in resources.items() if res.get("Type") == "AWS::Events::EventBus")

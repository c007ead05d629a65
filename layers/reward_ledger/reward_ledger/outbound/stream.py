"""Reading DynamoDB stream records of the ledger table (as Lambda hands them over) into outbound events."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from boto3.dynamodb.types import TypeDeserializer

from reward_ledger.outbound.publish import put_all
from reward_ledger.outbound.schema import Outbound, from_change
from reward_ledger.outbound.triggers import trigger_events

_deserializer = TypeDeserializer()
StreamRecord = Mapping[str, Any]


def _plain(image: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if image is None:
        return None
    return {name: _deserializer.deserialize(value) for name, value in image.items()}


def sequence_number(record: StreamRecord) -> str:
    return str(record["dynamodb"]["SequenceNumber"])


def outbound_of(record: StreamRecord) -> list[Outbound]:
    change = record["dynamodb"]
    keys = _plain(change.get("Keys")) or {}
    name, old, new = (
        str(record.get("eventName", "")),
        _plain(change.get("OldImage")),
        _plain(change.get("NewImage")),
    )
    return from_change(name, keys, old, new) + trigger_events(name, keys, old, new)


def publish_records(client: Any, bus: str, records: Sequence[StreamRecord]) -> set[str]:
    """Publish what ``records`` give; returns the sequence numbers whose events EventBridge refused."""
    events: list[Outbound] = []
    owners: list[str] = []
    for record in records:
        for event in outbound_of(record):
            events.append(event)
            owners.append(sequence_number(record))
    return {owners[position] for position in put_all(client, bus, events)}

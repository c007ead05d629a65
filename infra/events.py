"""EventBridge locally: rule pattern matching and the payloads rules, schedules and queues deliver.

Pattern matching implements EventBridge's content filtering: exact values (strings, numbers, booleans,
null), ``prefix``, ``suffix``, ``anything-but`` (values, a list, or a prefix/suffix), ``numeric``
ranges, ``exists``, ``equals-ignore-case``, ``wildcard``, nested objects, arrays in the event (any
element matches) and ``$or``. ``cidr`` is not supported (it never matches locally).
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import operator
import time
import uuid
from collections.abc import Callable
from typing import Any

from infra.discovery import ACCOUNT_ID, Queue
from infra.template import LOCAL_REGION
from reward_ledger import clock

_MISSING = object()
_NUMERIC: dict[str, Callable[[float, float], bool]] = {
    "=": operator.eq,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def matches(pattern: dict[str, Any], event: Any) -> bool:
    """Whether ``event`` (a dict) matches the EventBridge ``pattern``."""
    if not isinstance(event, dict):
        return False
    for key, expected in pattern.items():
        if key == "$or":
            if not any(matches(option, event) for option in expected):
                return False
            continue
        value = event.get(key, _MISSING)
        if isinstance(expected, dict):
            if not isinstance(value, dict) or not matches(expected, value):
                return False
        elif isinstance(expected, list):
            if not _matches_any(expected, value):
                return False
        elif value is _MISSING or value != expected:
            return False
    return True


def _matches_any(matchers: list[Any], value: Any) -> bool:
    if value is _MISSING:
        return any(isinstance(m, dict) and m.get("exists") is False for m in matchers)
    values = value if isinstance(value, list) else [value]
    return any(_matches_one(m, v) for m in matchers for v in values)


def _matches_one(matcher: Any, value: Any) -> bool:
    if not isinstance(matcher, dict):
        if isinstance(matcher, bool) or isinstance(value, bool):
            return matcher is value
        if isinstance(matcher, int | float) and isinstance(value, int | float):
            return float(matcher) == float(value)
        return bool(matcher == value)
    for op, arg in matcher.items():
        if op == "exists":
            return bool(arg) and not isinstance(value, dict)
        if op == "prefix":
            return _text_match(arg, value, str.startswith)
        if op == "suffix":
            return _text_match(arg, value, str.endswith)
        if op == "equals-ignore-case":
            return isinstance(value, str) and value.lower() == str(arg).lower()
        if op == "wildcard":
            return isinstance(value, str) and fnmatch.fnmatchcase(value, str(arg))
        if op == "anything-but":
            if isinstance(arg, dict):
                return not _matches_one(arg, value)
            excluded = arg if isinstance(arg, list) else [arg]
            return not any(_matches_one(e, value) for e in excluded)
        if op == "numeric":
            if isinstance(value, bool) or not isinstance(value, int | float):
                return False
            pairs = list(zip(arg[::2], arg[1::2], strict=False))
            return all(_NUMERIC[o](float(value), float(n)) for o, n in pairs)
    return False


def _text_match(arg: Any, value: Any, test: Callable[[str, str], bool]) -> bool:
    if not isinstance(value, str):
        return False
    if isinstance(arg, dict) and "equals-ignore-case" in arg:
        return test(value.lower(), str(arg["equals-ignore-case"]).lower())
    return test(value, str(arg))


def _now_text() -> str:
    return clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")


def envelope(
    source: str, detail_type: str, detail: Any, resources: list[str] | None = None
) -> dict[str, Any]:
    """An EventBridge event as a rule target receives it (``time`` from the clock the app sees)."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": detail_type,
        "source": source,
        "account": ACCOUNT_ID,
        "time": _now_text(),
        "region": LOCAL_REGION,
        "resources": resources or [],
        "detail": detail,
    }


def scheduled_event(rule_logical_id: str) -> dict[str, Any]:
    """What an EventBridge schedule rule delivers to its target."""
    arn = f"arn:aws:events:{LOCAL_REGION}:{ACCOUNT_ID}:rule/{rule_logical_id}"
    return envelope("aws.events", "Scheduled Event", {}, [arn])


def sqs_record(message: dict[str, Any], queue: Queue) -> dict[str, Any]:
    """One record of an SQS batch event, from a ``ReceiveMessage`` message."""
    attributes = message.get("Attributes") or {}
    sent = attributes.get("SentTimestamp") or str(int(time.time() * 1000))
    body = message.get("Body", "")
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": body,
        "attributes": {
            "ApproximateReceiveCount": attributes.get("ApproximateReceiveCount", "1"),
            "SentTimestamp": sent,
            "SenderId": attributes.get("SenderId", ACCOUNT_ID),
            "ApproximateFirstReceiveTimestamp": attributes.get("ApproximateFirstReceiveTimestamp", sent),
            **{
                k: v
                for k, v in attributes.items()
                if k in ("MessageGroupId", "MessageDeduplicationId", "SequenceNumber")
            },
        },
        "messageAttributes": {
            name: {
                "stringValue": value.get("StringValue"),
                "binaryValue": value.get("BinaryValue"),
                "stringListValues": value.get("StringListValues", []),
                "binaryListValues": value.get("BinaryListValues", []),
                "dataType": value.get("DataType", "String"),
            }
            for name, value in (message.get("MessageAttributes") or {}).items()
        },
        "md5OfBody": message.get("MD5OfBody")
        or hashlib.md5(body.encode(), usedforsecurity=False).hexdigest(),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue.arn,
        "awsRegion": LOCAL_REGION,
    }


def sqs_event(records: list[dict[str, Any]]) -> dict[str, Any]:
    return {"Records": records}


def dumps(value: Any) -> str:
    return json.dumps(value, default=str)

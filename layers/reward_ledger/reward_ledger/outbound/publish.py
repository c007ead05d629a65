"""Putting outbound events on EventBridge: ten per ``PutEvents`` call, refusals reported per event.

EventBridge gives every accepted event its own id (a retry gets a new one), so consumers dedupe on the
detail's id (``Outbound.dedupe_id``), which ``Resources`` also carries as ``reward-ledger:<id>``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from reward_ledger.outbound.schema import SOURCE, Outbound

MAX_PUT_EVENTS = 10  # EventBridge's limit of entries per PutEvents call


def entry_of(event: Outbound, bus: str) -> dict[str, Any]:
    return {
        "Source": SOURCE,
        "DetailType": event.detail_type,
        "Detail": event.detail.model_dump_json(),
        "Resources": [f"{SOURCE}:{event.dedupe_id}"],
        "EventBusName": bus,
    }


def put_all(client: Any, bus: str, events: Sequence[Outbound]) -> list[int]:
    """Put ``events`` on ``bus``; returns the positions EventBridge refused (a failed call refuses all
    of its chunk, and later chunks are still tried)."""
    refused: list[int] = []
    for start in range(0, len(events), MAX_PUT_EVENTS):
        chunk = events[start : start + MAX_PUT_EVENTS]
        try:
            answer = client.put_events(Entries=[entry_of(e, bus) for e in chunk])
        except Exception:  # the whole call failed: every event of the chunk is retried by the stream
            refused.extend(range(start, start + len(chunk)))
            continue
        for offset, result in enumerate(answer.get("Entries", [])):
            if result.get("ErrorCode"):
                refused.append(start + offset)
    return refused

"""The typed parameters and body every operators' review queue takes (held game rewards, held invitees):
one UTC day of the queue, the page after a position, and the operator's note. One definition, so the
queues' routes say the same thing in the OpenAPI and refuse the same input the same way."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import Field

from reward_ledger import clock
from reward_ledger.config import StrictModel
from reward_ledger.errors import ValidationFailed
from reward_ledger.review_queue import AFTER_PATTERN

DAY_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
MAX_NOTE = 500
MAX_AFTER = 120

HeldDay = Annotated[
    str | None,
    Query(
        pattern=DAY_PATTERN,
        description="UTC day YYYY-MM-DD the items were held; default today",
        json_schema_extra={"format": "date"},
    ),
]
HeldAfter = Annotated[
    str | None, Query(pattern=AFTER_PATTERN, max_length=MAX_AFTER, description="`next` of the previous page")
]


class Review(StrictModel):
    note: str = Field(default="", max_length=MAX_NOTE, description="the operator's reason, kept in the entry")


def held_day(day: str | None) -> date:
    """The queue's day: ``day`` (a real calendar date, else 400), or today (UTC) without one."""
    if day is None:
        return clock.now().date()
    try:
        return date.fromisoformat(day)
    except ValueError as exc:
        raise ValidationFailed(f"day must be a date YYYY-MM-DD, got {day!r}") from exc

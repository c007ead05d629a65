"""Operators' review queues (neutral: held game rewards and held invites use it).

An item waiting for review lives at ``pk=<PREFIX>#<UTC day held>``, ``sk=<held_at>#<subject>``: put in
the transaction that holds the subject, deleted in the transaction that resolves it, so a queue lists
exactly what still waits, one Query per day, oldest first, without scanning the journal. A page ends at
``PAGE_LIMIT`` items; its last ``sk`` is the ``after`` of the next page.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime
from typing import TypeVar

from pynamodb.models import Model

from reward_ledger import clock
from reward_ledger.errors import ValidationFailed

PAGE_LIMIT = 100
AFTER_PATTERN = r"^[0-9T:.+Z-]{10,40}#[A-Za-z0-9_.@:-]{1,64}$"
_AFTER = re.compile(AFTER_PATTERN)

M = TypeVar("M", bound=Model)


def partition(prefix: str, day: date) -> str:
    return f"{prefix}#{day.isoformat()}"


def queue_key(prefix: str, subject: str, held_at: datetime) -> dict[str, str]:
    """Where a held subject's review item lives (kept with the subject so its resolution finds it)."""
    return {"pk": partition(prefix, held_at.date()), "sk": f"{clock.iso(held_at)}#{subject}"}


def page(
    model: type[M], prefix: str, day: date, after: str | None, limit: int = PAGE_LIMIT
) -> tuple[list[M], str | None]:
    """The items of ``day`` still waiting, oldest first, and the ``after`` of the next page."""
    assert 1 <= limit <= PAGE_LIMIT
    if after is not None and not _AFTER.match(after):
        raise ValidationFailed("after is not a position this API returned")
    condition = model.sk > after if after else None  # type: ignore[attr-defined]
    found: Iterator[M] = model.query(
        partition(prefix, day), range_key_condition=condition, limit=limit, consistent_read=True
    )
    items = list(found)
    return items, (str(items[-1].sk) if len(items) == limit else None)  # type: ignore[attr-defined]

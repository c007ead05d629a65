"""Scheduling reminders: a conditional put (or a guard of the producing transaction), at most one per
(user, kind, subject), placed in the sparse DueIndex at its due time."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from pydantic import PositiveInt
from pynamodb.exceptions import PutError

from reward_ledger import clock
from reward_ledger.config import StrictModel, load_model
from reward_ledger.errors import LedgerError
from reward_ledger.ledger import Guard
from reward_ledger.reminders.models import Reminder, partition, reminder_id


class ReminderSettings(StrictModel):
    due_shards: PositiveInt
    lookback_days: int
    page_size: PositiveInt
    settled_ttl_days: PositiveInt
    oxygen_window_minutes: PositiveInt
    chicken_hungry_after_minutes: PositiveInt


@cache
def settings() -> ReminderSettings:
    return load_model("reminders", ReminderSettings)


def due_bucket_of(item_key: str, at: datetime) -> str:
    shard = int.from_bytes(hashlib.sha256(item_key.encode()).digest()[:4], "big") % settings().due_shards
    return f"{at.astimezone(clock.zone('UTC')).date().isoformat()}#{shard}"


def settled_ttl(now: datetime) -> int:
    return int((now + timedelta(days=settings().settled_ttl_days)).timestamp())


def new_reminder(
    user_id: str, kind: str, subject: str, due_at: datetime, data: dict[str, Any] | None = None
) -> Reminder:
    """A scheduled reminder, in the DueIndex at ``due_at``."""
    sk = f"R#{kind}#{subject}"
    return Reminder(
        pk=partition(user_id),
        sk=sk,
        reminder_id=reminder_id(user_id, kind, subject),
        user_id=user_id,
        reminder=kind,
        subject=subject,
        state="scheduled",
        due_at=clock.iso(due_at),
        data=data or {},
        created_at=clock.iso(clock.now()),
        due_bucket=due_bucket_of(f"{partition(user_id)}|{sk}", due_at),
        due_index_at=clock.iso(due_at),
        ttl=settled_ttl(due_at),
    )


def schedule(reminder: Reminder) -> bool:
    """Store ``reminder`` unless one of its (user, kind, subject) exists; whether it was new."""
    try:
        reminder.save(condition=Reminder.pk.does_not_exist())
    except PutError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


class _Exists(LedgerError):
    """Never raised to a client: the reminder guard is unconditional on purpose (see schedule_guard)."""


def schedule_guard(reminder: Reminder) -> Guard:
    """The reminder as a guard of another transaction (a nudge): written with it, or not at all.

    The caller's own guard (the nudge marker) already makes it once per subject, so the put is plain.
    """
    return Guard.put(reminder, None, lambda _old: _Exists("reminder exists"))

"""Nudges: a friend reminds a friend (``friend-nudge``), at most once per (sender, receiver) per local day.

One ledger entry without legs (kind ``friends.nudge``) carries the idempotency key, the mutual-friendship
check, the day's nudge marker (its ``attribute_not_exists`` is the once-a-day rule: 429 after) and the
receiver's reminder, all in one transaction: a refused nudge schedules nothing.
"""

from __future__ import annotations

from datetime import timedelta

from pynamodb.attributes import NumberAttribute, UnicodeAttribute

from reward_ledger import clock
from reward_ledger.errors import RateLimited
from reward_ledger.friends import mutual_guard
from reward_ledger.ledger import EntryRequest, EntryResult, Guard, IdempotencyKey, Ledger
from reward_ledger.ledger.models import LedgerTableMeta
from reward_ledger.ledger.table import LedgerModel
from reward_ledger.reminders.core import new_reminder, schedule_guard

MARKER_TTL_DAYS = 2  # a marker only matters on its own local day


class NudgeMarker(LedgerModel):
    """``pk=NUDGE#<sender>#<receiver>``, ``sk=<sender's local day>``."""

    class Meta(LedgerTableMeta):
        pass

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    entry_id = UnicodeAttribute()
    ttl = NumberAttribute(null=True)


def nudge(ledger: Ledger, sender: str, receiver: str, zone: str, idem: IdempotencyKey) -> EntryResult:
    now = clock.now()
    day = clock.local_day(now, zone).isoformat()
    marker = NudgeMarker(
        pk=f"NUDGE#{sender}#{receiver}",
        sk=day,
        entry_id=idem.entry_id,
        ttl=int((now + timedelta(days=MARKER_TTL_DAYS)).timestamp()),
    )
    reminder = new_reminder(receiver, "friend-nudge", f"{sender}#{day}", now, {"from": sender})
    return ledger.transfer(
        EntryRequest(
            idempotency=idem,
            kind="friends.nudge",
            guards=[
                mutual_guard(sender, receiver),
                Guard.put(
                    marker,
                    NudgeMarker.pk.does_not_exist(),
                    lambda _old: RateLimited(f"you already nudged {receiver} today ({day}, your local day)"),
                ),
                schedule_guard(reminder),
            ],
            metadata={"sender": sender, "receiver": receiver, "day": day},
            response={"nudged": True, "friend_id": receiver, "reminder_id": reminder.reminder_id},
        )
    )

"""Reminder items and the user's reminder settings (both under ``pk=REMINDER#<user>``)."""

from __future__ import annotations

import base64
import hashlib

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute, UnicodeSetAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from reward_ledger.ledger.models import LedgerTableMeta
from reward_ledger.ledger.table import LedgerModel

#: every reminder kind a user can receive (and mute); finders and producers declare how each is found
REMINDER_NAMES = (
    "oxygen-expiring",
    "chicken-hungry",
    "friend-nudge",
    "withdrawal-completed",
    "withdrawal-rejected",
    "coupon-expiring",
    "challenge-checkin",
)
DUE_INDEX = "DueIndex"


class DueIndex(GlobalSecondaryIndex["Reminder"]):
    class Meta:
        index_name = DUE_INDEX
        projection = AllProjection()

    due_bucket = UnicodeAttribute(hash_key=True)
    due_index_at = UnicodeAttribute(range_key=True)


def partition(user_id: str) -> str:
    return f"REMINDER#{user_id}"


def reminder_id(user_id: str, kind: str, subject: str) -> str:
    """Stable id of (user, kind, subject): the consumer's dedupe key of ``reminder.due``."""
    digest = hashlib.sha256(f"{user_id}\x1f{kind}\x1f{subject}".encode()).digest()
    return "r" + base64.b32encode(digest).decode("ascii")[:25].lower()


class Reminder(LedgerModel):
    """``sk=R#<kind>#<subject>``; state ``scheduled`` (in the DueIndex) -> ``sent`` | ``muted``."""

    class Meta(LedgerTableMeta):
        pass

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    reminder_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    reminder = UnicodeAttribute()
    subject = UnicodeAttribute()
    state = UnicodeAttribute(default="scheduled")
    due_at = UnicodeAttribute()
    data = JSONAttribute(null=True)
    created_at = UnicodeAttribute()
    sent_at = UnicodeAttribute(null=True)
    due_bucket = UnicodeAttribute(null=True)
    due_index_at = UnicodeAttribute(null=True)
    ttl = NumberAttribute(null=True)

    due_index = DueIndex()


class ReminderPrefs(LedgerModel):
    """``sk=PREFS``: muted kinds and quiet hours (``HH:MM`` in ``zone``, the user's local time)."""

    class Meta(LedgerTableMeta):
        pass

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default="PREFS")
    muted = UnicodeSetAttribute(null=True)
    quiet_start = UnicodeAttribute(null=True)
    quiet_end = UnicodeAttribute(null=True)
    zone = UnicodeAttribute(null=True)
    updated_at = UnicodeAttribute(null=True)

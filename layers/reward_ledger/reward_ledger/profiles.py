"""The user's time zone as last seen on a request, for what runs without one (payment events).

The profile item lives in the forest's partition (``pk=FOREST#<user>``, ``sk=PROFILE``) so that the
forest's one query of its partition reads it with the lots, at no extra cost; any feature may read or
remember it through this module.
"""

from __future__ import annotations

from pynamodb.attributes import UnicodeAttribute

from reward_ledger.ledger.models import LedgerTableMeta
from reward_ledger.ledger.table import LedgerModel

PROFILE_SK = "PROFILE"


class Profile(LedgerModel):
    """The user's time zone as last seen on a forest or farm request (used by payment events)."""

    class Meta(LedgerTableMeta):
        pass

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default=PROFILE_SK)
    zone = UnicodeAttribute()


def profile_pk(user_id: str) -> str:
    return f"FOREST#{user_id}"


def stored_zone(user_id: str) -> str | None:
    try:
        return str(Profile.get(profile_pk(user_id), PROFILE_SK).zone)
    except Profile.DoesNotExist:
        return None


def remember_zone(user_id: str, zone: str | None, seen: str | None) -> None:
    """Store ``zone`` unless it is what was ``seen`` already (one write only when the zone changes)."""
    if zone and zone != seen:
        Profile(pk=profile_pk(user_id), sk=PROFILE_SK, zone=zone).save()

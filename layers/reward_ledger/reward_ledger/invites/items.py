"""Invite state in the ledger table (written only as guards of ledger entries).

* code          ``pk=INVITE#<code>``            ``sk=INVITE``  inviter, ``open`` -> ``accepted``
* invitee       ``pk=INVITEE#<user>``           ``sk=INVITEE`` code, inviter, ``accepted`` / ``held`` ->
  ``qualified`` (one per user: a second accepted code is refused)
* day counter   ``pk=INVCAP#<inviter>``         ``sk=DAY#<local day>``  codes made that day
* device count  ``pk=INVDEV#<device>``          ``sk=DEVICE``  invitees accepted from that device
* review queue  ``pk=HELDINVITE#<UTC day>``     ``sk=<held_at>#<invitee>``  a held invitee waiting for
  an operator (``reward_ledger.review_queue``): put by the acceptance, deleted by the review
"""

from __future__ import annotations

from functools import cache

from pydantic import PositiveInt
from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from reward_ledger.config import StrictModel, load_model
from reward_ledger.ledger.models import LedgerTableMeta
from reward_ledger.ledger.table import LedgerModel


class InviteSettings(StrictModel):
    max_codes_per_day: PositiveInt
    max_invitees_per_device: PositiveInt
    min_qualifying_amount: PositiveInt


@cache
def settings() -> InviteSettings:
    return load_model("invites", InviteSettings)


class InviteCode(LedgerModel):
    class Meta(LedgerTableMeta):
        pass

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default="INVITE")
    code = UnicodeAttribute()
    inviter = UnicodeAttribute()
    state = UnicodeAttribute()
    invitee = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()


class Invitee(LedgerModel):
    class Meta(LedgerTableMeta):
        pass

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default="INVITEE")
    user_id = UnicodeAttribute()
    code = UnicodeAttribute()
    inviter = UnicodeAttribute()
    state = UnicodeAttribute()
    accepted_at = UnicodeAttribute()
    review_pk = UnicodeAttribute(null=True)  # where a held invitee waits in the review queue
    review_sk = UnicodeAttribute(null=True)


class InviteCounter(LedgerModel):
    class Meta(LedgerTableMeta):
        pass

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    used = NumberAttribute(default=0)
    ttl = NumberAttribute(null=True)


class HeldInvite(LedgerModel):
    """A held invitee waiting for an operator's review (deleted by the review)."""

    class Meta(LedgerTableMeta):
        pass

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    invitee = UnicodeAttribute()
    inviter = UnicodeAttribute()
    code = UnicodeAttribute()
    reason = UnicodeAttribute()
    held_at = UnicodeAttribute()


MODELS: tuple[type[Model], ...] = (InviteCode, Invitee, InviteCounter, HeldInvite)


def code_pk(code: str) -> str:
    return f"INVITE#{code}"


def invitee_pk(user_id: str) -> str:
    return f"INVITEE#{user_id}"

"""Challenge state in the ledger table (written only as guards of ledger entries).

* challenge        ``pk=CHALLENGE#<c>``        ``sk=CHALLENGE``  merchant, days, check-in rule, winners
* merchant's list  ``pk=MCHALLENGE#<m>``       ``sk=<c>``        the rule (a payment finds it: one Query)
* participant      ``pk=CHALLENGER#<c>#<u>``   ``sk=PART``       zone, start day, last day checked, status;
  while active it sits in the ``ExpiryIndex`` (``exp_kind=challenge-day``) at the end of the next day to
  check in, so the sweep fails a missed day whether or not the user comes back
* user's list      ``pk=UCHALLENGE#<u>``       ``sk=<c>``        (GET /v1/me/challenges)
"""

from __future__ import annotations

from functools import cache

from pydantic import PositiveInt
from pynamodb.attributes import BooleanAttribute, JSONAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from reward_ledger.config import StrictModel, load_model
from reward_ledger.ledger.models import LedgerTableMeta
from reward_ledger.ledger.table import LedgerModel


class ChallengeSettings(StrictModel):
    max_days: PositiveInt
    max_winners: PositiveInt
    remind_at_hour: int
    max_listed: PositiveInt
    fail_grace_seconds: PositiveInt


@cache
def settings() -> ChallengeSettings:
    loaded = load_model("challenges", ChallengeSettings)
    assert 0 <= loaded.remind_at_hour <= 23
    return loaded


class ChallengeItem(LedgerModel):
    class Meta(LedgerTableMeta):
        pass

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default="CHALLENGE")
    challenge_id = UnicodeAttribute()
    merchant_id = UnicodeAttribute()
    title = UnicodeAttribute()
    days = NumberAttribute()
    checkin = JSONAttribute()
    max_winners = NumberAttribute(null=True)
    winners = NumberAttribute(default=0)
    status = UnicodeAttribute()
    created_at = UnicodeAttribute()


class MerchantChallenge(LedgerModel):
    class Meta(LedgerTableMeta):
        pass

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    checkin = JSONAttribute()


class Participant(LedgerModel):
    """``last_day`` is the local day last checked in (the day before ``start_day`` until the first)."""

    class Meta(LedgerTableMeta):
        pass

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default="PART")
    challenge_id = UnicodeAttribute()
    merchant_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    zone = UnicodeAttribute()
    start_day = UnicodeAttribute()
    last_day = UnicodeAttribute()
    days = NumberAttribute()
    checked = NumberAttribute(default=0)
    status = UnicodeAttribute()
    winner = BooleanAttribute(null=True)
    joined_at = UnicodeAttribute()
    exp_bucket = UnicodeAttribute(null=True)
    expires_at = UnicodeAttribute(null=True)
    exp_kind = UnicodeAttribute(null=True)


class JoinedRow(LedgerModel):
    class Meta(LedgerTableMeta):
        pass

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)


MODELS: tuple[type[Model], ...] = (ChallengeItem, MerchantChallenge, Participant, JoinedRow)


def challenge_pk(challenge_id: str) -> str:
    return f"CHALLENGE#{challenge_id}"


def merchant_list_pk(merchant_id: str) -> str:
    return f"MCHALLENGE#{merchant_id}"


def participant_pk(challenge_id: str, user_id: str) -> str:
    return f"CHALLENGER#{challenge_id}#{user_id}"


def joined_pk(user_id: str) -> str:
    return f"UCHALLENGE#{user_id}"

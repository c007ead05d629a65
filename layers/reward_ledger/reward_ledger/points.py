"""Loyalty points, as every feature that grants them sees them (neutral: loyalty and campaigns use it).

* ``user:<u>/points.<m>/PTS``            the user's points at merchant ``m`` (never negative);
* ``external:loyalty.<m>/issued/PTS``    where merchant ``m``'s points come from (may go negative);
* ``external:loyalty.<m>/spent/PTS``     points spent on rewards; ``system/expired/PTS`` expired points.

Every grant is a *lot* (``pk=PLOT#<m>#<u>``, ``sk=<earned_at>#<source>``): how many points it gave, how
many are left, and when they expire (in the ``ExpiryIndex``, ``exp_kind=points-lot``). Spending takes
the oldest lots first and the sweep expires what is left of a lot, so points expire oldest first. The
program item (``pk=LOYALTY#<m>``, ``sk=PROGRAM``) holds the terms a grant needs (validity, tiers); a
grant checks the program's version in its own transaction, so terms kept in the ledger's memo save a
read without ever deciding.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute

from reward_ledger import clock
from reward_ledger.errors import AlreadyDone, RetriesExhausted
from reward_ledger.ledger import Account, Guard, Ledger, Leg, expired_account, expiry_for
from reward_ledger.ledger.models import LedgerTableMeta
from reward_ledger.ledger.table import LedgerModel

PTS = "PTS"
LOT_KIND = "points-lot"
PROGRAM_SK = "PROGRAM"
EXPIRED = expired_account(PTS)
_MEMO_TOPIC = "loyalty-terms"


def points_account(user_id: str, merchant_id: str) -> Account:
    return Account(f"user:{user_id}", f"points.{merchant_id}", PTS)


def issuer(merchant_id: str) -> Account:
    return Account(f"external:loyalty.{merchant_id}", "issued", PTS)


def spent_account(merchant_id: str) -> Account:
    return Account(f"external:loyalty.{merchant_id}", "spent", PTS)


def program_pk(merchant_id: str) -> str:
    return f"LOYALTY#{merchant_id}"


def lot_pk(merchant_id: str, user_id: str) -> str:
    return f"PLOT#{merchant_id}#{user_id}"


class ProgramItem(LedgerModel):
    """A merchant's loyalty program; ``version`` grows with each change (grants check it)."""

    class Meta(LedgerTableMeta):
        pass

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default=PROGRAM_SK)
    merchant_id = UnicodeAttribute()
    version = NumberAttribute()
    terms = JSONAttribute()
    updated_at = UnicodeAttribute()


class PointsLot(LedgerModel):
    """One grant of points: ``left`` goes down as they are spent (oldest first) or expire."""

    class Meta(LedgerTableMeta):
        pass

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    user_id = UnicodeAttribute()
    merchant_id = UnicodeAttribute()
    points = NumberAttribute()
    left = NumberAttribute()
    earned_at = UnicodeAttribute()
    valid_until = UnicodeAttribute()
    source = UnicodeAttribute()
    exp_bucket = UnicodeAttribute(null=True)
    expires_at = UnicodeAttribute(null=True)
    exp_kind = UnicodeAttribute(null=True)


@dataclass(frozen=True, slots=True)
class Terms:
    """What a grant needs of a program (``terms`` is the program body as stored)."""

    merchant_id: str
    version: int
    terms: dict[str, Any]

    @property
    def valid_days(self) -> int:
        return int(self.terms["points_valid_days"])

    @property
    def earn_per_yuan(self) -> int:
        return int(self.terms["earn_per_yuan"])


class StaleTerms(RetriesExhausted):
    """The program changed since its terms were kept: read them again (503 only if it keeps changing)."""


def program_terms(ledger: Ledger, merchant_id: str, *, fresh: bool = False) -> Terms | None:
    """The merchant's program terms (kept in the ledger's memo after a read); ``None``: no program."""
    kept = None if fresh else ledger.memo.kept(_MEMO_TOPIC, merchant_id)
    if isinstance(kept, Terms):
        return kept
    try:
        item = ProgramItem.get(program_pk(merchant_id), PROGRAM_SK, consistent_read=True)
    except ProgramItem.DoesNotExist:
        return None
    terms = Terms(merchant_id, int(item.version), dict(item.terms))
    ledger.memo.keep(_MEMO_TOPIC, merchant_id, terms)
    return terms


def terms_guard(ledger: Ledger, terms: Terms) -> Guard:
    """The program is still at the version whose terms this grant used (else the terms are read again)."""

    def stale(_old: Any) -> StaleTerms:
        ledger.memo.forget(_MEMO_TOPIC, terms.merchant_id)
        return StaleTerms(f"the loyalty program of {terms.merchant_id!r} changed meanwhile")

    return Guard.check(
        ProgramItem, program_pk(terms.merchant_id), PROGRAM_SK, ProgramItem.version == terms.version, stale
    )


def grant(user_id: str, terms: Terms, points: int, source: str, now: datetime) -> tuple[Leg, Guard]:
    """The leg issuing ``points`` to the user and the lot they form (put once: ``source`` names it)."""
    assert points > 0, "a grant gives at least one point"
    merchant_id = terms.merchant_id
    until = now + timedelta(days=terms.valid_days)
    lot = PointsLot(
        pk=lot_pk(merchant_id, user_id),
        sk=f"{clock.iso(now)}#{source}",
        user_id=user_id,
        merchant_id=merchant_id,
        points=points,
        left=points,
        earned_at=clock.iso(now),
        valid_until=clock.iso(until),
        source=source,
    )
    expiry = expiry_for(f"{lot.pk}|{lot.sk}", until, LOT_KIND)
    lot.exp_bucket, lot.expires_at, lot.exp_kind = expiry.bucket, expiry.at, expiry.kind
    guard = Guard.put(lot, PointsLot.pk.does_not_exist(), lambda _old: AlreadyDone("lot exists"))
    return Leg(issuer(merchant_id), points_account(user_id, merchant_id), points), guard


def open_lots(merchant_id: str, user_id: str) -> list[PointsLot]:
    """The user's lots with points left, oldest first (one strongly consistent Query)."""
    return [
        lot
        for lot in PointsLot.query(lot_pk(merchant_id, user_id), consistent_read=True)
        if int(lot.left) > 0
    ]


def earned_since(merchant_id: str, user_id: str, since: datetime) -> int:
    """Points earned from ``since`` on (spent or expired ones count: tiers measure what was earned)."""
    rows = PointsLot.query(lot_pk(merchant_id, user_id), PointsLot.sk >= clock.iso(since))
    return sum(int(lot.points) for lot in rows)


def tier_of(terms: dict[str, Any], earned: int) -> tuple[str | None, dict[str, Any] | None]:
    """(the tier reached with ``earned`` points, the next tier or ``None``); tiers sorted by min_points."""
    tiers = sorted(terms.get("tiers", []), key=lambda t: int(t["min_points"]))
    reached = [t for t in tiers if int(t["min_points"]) <= earned]
    above = [t for t in tiers if int(t["min_points"]) > earned]
    return (str(reached[-1]["tier"]) if reached else None), (above[0] if above else None)


def user_tier(ledger: Ledger, merchant_id: str, user_id: str, now: datetime) -> str | None:
    """The user's tier at the merchant now (``None``: no program, or below every tier)."""
    terms = program_terms(ledger, merchant_id)
    if terms is None:
        return None
    window = timedelta(days=int(terms.terms.get("tier_window_days", 365)))
    return tier_of(terms.terms, earned_since(merchant_id, user_id, now - window))[0]

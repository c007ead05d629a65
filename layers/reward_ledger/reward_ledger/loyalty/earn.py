"""Earning: a payment at the merchant earns points in one entry, keyed by the payment id.

The entry's one ``TransactWriteItems`` holds the issuer -> user points leg, the lot (for expiry and
spending oldest first), the user's row in ``ULOYALTY#<u>`` (what ``GET /v1/me/loyalty`` lists) and the
check that the program is still at the version whose rate was used. The rate comes from the terms kept
in the ledger's memo, so a warm grant is one DynamoDB call; a changed program fails the check and the
grant reads the terms again. A payment elsewhere, or at a merchant without a program, earns nothing.
"""

from __future__ import annotations

from datetime import datetime

from pynamodb.attributes import UnicodeAttribute

from reward_ledger.errors import RetriesExhausted
from reward_ledger.ledger import EntryRequest, EntryResult, Guard, IdempotencyKey, Ledger, unconditional
from reward_ledger.ledger.models import LedgerTableMeta
from reward_ledger.ledger.table import LedgerModel
from reward_ledger.points import StaleTerms, Terms, grant, program_terms, terms_guard

EARN_KIND = "loyalty.points.earned"
FEN_PER_YUAN = 100
#: reads of the terms a grant makes at most when the program keeps changing under it
MAX_TERM_READS = 3


class MemberRow(LedgerModel):
    """``pk=ULOYALTY#<user>``, ``sk=<merchant>``: the user holds (or held) points at that merchant."""

    class Meta(LedgerTableMeta):
        pass

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)


def member_pk(user_id: str) -> str:
    return f"ULOYALTY#{user_id}"


def member_guard(user_id: str, merchant_id: str) -> Guard:
    return Guard.put(MemberRow(pk=member_pk(user_id), sk=merchant_id), None, unconditional)


def points_for(terms: Terms, amount: int) -> int:
    """Whole points for ``amount`` fen (fractions of a point are not earned)."""
    return amount * terms.earn_per_yuan // FEN_PER_YUAN


def earn(
    ledger: Ledger, user_id: str, merchant_id: str, amount: int, payment_id: str, now: datetime
) -> EntryResult | None:
    """Points for one payment at ``merchant_id``, once per payment id; ``None`` when it earns none."""
    fresh = False
    for _ in range(MAX_TERM_READS):
        terms = program_terms(ledger, merchant_id, fresh=fresh)
        if terms is None:
            return None
        points = points_for(terms, amount)
        if points <= 0:
            return None
        leg, lot = grant(user_id, terms, points, payment_id, now)
        idem = IdempotencyKey(
            "loyalty:earn", f"{merchant_id}:{payment_id}", {"user_id": user_id, "amount": amount}
        )
        request = EntryRequest(
            idempotency=idem,
            kind=EARN_KIND,
            legs=[leg],
            guards=[lot, member_guard(user_id, merchant_id), terms_guard(ledger, terms)],
            metadata={"merchant_id": merchant_id, "user_id": user_id, "payment_id": payment_id},
            response={"entry_id": idem.entry_id, "merchant_id": merchant_id, "points": points},
        )
        try:
            return ledger.transfer(request)
        except StaleTerms:
            fresh = True
    raise RetriesExhausted(f"the loyalty program of {merchant_id!r} kept changing")

"""The sweep's expirer of points lots: what is left of a lot past its validity -> ``system/expired/PTS``.

Keyed by the lot, guarded on the ``left`` just read (a spend in between makes it read again), and the lot
leaves the expiry index in the same transaction: a repeated sweep expires nothing twice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from reward_ledger import clock
from reward_ledger.errors import AlreadyDone, RetriesExhausted
from reward_ledger.ledger import EntryRequest, Guard, IdempotencyKey, Ledger, Leg
from reward_ledger.points import EXPIRED, PointsLot, points_account

EXPIRY_ENTRY_KIND = "loyalty.points.expired"
MAX_REREADS = 4


class _LotMoved(RetriesExhausted):
    """Points were spent from the lot since it was read."""


def _expire(ledger: Ledger, pk: str, sk: str) -> bool:
    for _ in range(MAX_REREADS):
        try:
            lot = PointsLot.get(pk, sk, consistent_read=True)
        except PointsLot.DoesNotExist:
            return False
        if lot.exp_bucket is None or str(lot.valid_until) > clock.iso(clock.now()):
            return False
        left = int(lot.left)
        guard = Guard.update(
            PointsLot(pk=pk, sk=sk),
            [
                PointsLot.left.set(0),
                PointsLot.exp_bucket.remove(),
                PointsLot.expires_at.remove(),
                PointsLot.exp_kind.remove(),
            ],
            (PointsLot.left == left) & PointsLot.exp_bucket.exists(),
            lambda old: _LotMoved("lot changed") if old and "exp_bucket" in old else AlreadyDone("expired"),
        )
        account = points_account(str(lot.user_id), str(lot.merchant_id))
        idem = IdempotencyKey("expiry:points_lot", f"{pk}|{sk}", {})
        try:
            result = ledger.transfer(
                EntryRequest(
                    idempotency=idem,
                    kind=EXPIRY_ENTRY_KIND,
                    legs=[Leg(account, EXPIRED, left)] if left else [],
                    guards=[guard],
                    metadata={
                        "user_id": lot.user_id,
                        "merchant_id": lot.merchant_id,
                        "lot": sk,
                        "points": left,
                    },
                    response={"entry_id": idem.entry_id, "points": left},
                )
            )
        except _LotMoved:
            continue
        except AlreadyDone:
            return False
        return not result.replayed and left > 0
    return False


def expire_lots(ledger: Ledger, raw_items: Sequence[Mapping[str, Any]]) -> int:
    """Expirer of ``points_lot`` items; returns how many lots gave up points now."""
    return sum(1 for raw in raw_items if _expire(ledger, str(raw["pk"]["S"]), str(raw["sk"]["S"])))

"""Spending points on a reward at the merchant's checkout: the oldest lots first, in one entry.

The lots are read (one Query), the points taken from the oldest until the amount is covered, and each
lot touched is updated under the condition that it still holds what was read: a racing spend or expiry
makes this one read again. The user's points account is never negative, so no spend can exceed them.
"""

from __future__ import annotations

from reward_ledger.errors import InsufficientFunds, RetriesExhausted
from reward_ledger.ledger import EntryRequest, EntryResult, Guard, IdempotencyKey, Ledger, Leg
from reward_ledger.loyalty.config import settings
from reward_ledger.points import PointsLot, open_lots, points_account, spent_account

SPEND_KIND = "loyalty.points.spent"
MAX_SPEND_READS = 4


class _LotMoved(RetriesExhausted):
    """A lot changed since it was read (a racing spend or expiry): read again."""


def spend(
    ledger: Ledger,
    merchant_id: str,
    user_id: str,
    points: int,
    order_id: str,
    actor: str,
    idem: IdempotencyKey,
) -> EntryResult:
    """Take ``points`` from the user's oldest lots (422 ``insufficient-funds`` beyond what they hold)."""
    for _ in range(MAX_SPEND_READS):
        held_lots = open_lots(merchant_id, user_id)
        held = sum(int(lot.left) for lot in held_lots)
        lots = held_lots[: settings().max_lots_per_spend]
        if sum(int(lot.left) for lot in lots) < points:
            raise InsufficientFunds(f"{user_id} holds fewer than {points} points at {merchant_id}")
        guards, needed = [], points
        for lot in lots:
            if needed == 0:
                break
            left = int(lot.left)
            part = min(left, needed)
            needed -= part
            guards.append(
                Guard.update(
                    PointsLot(pk=lot.pk, sk=lot.sk),
                    [PointsLot.left.set(left - part)],
                    PointsLot.left == left,
                    lambda _old: _LotMoved("a lot changed meanwhile"),
                )
            )
        assert needed == 0
        try:
            return ledger.transfer(
                EntryRequest(
                    idempotency=idem,
                    kind=SPEND_KIND,
                    legs=[Leg(points_account(user_id, merchant_id), spent_account(merchant_id), points)],
                    guards=guards,
                    metadata={
                        "merchant_id": merchant_id,
                        "user_id": user_id,
                        "order_id": order_id,
                        "actor": actor,
                    },
                    response={
                        "entry_id": idem.entry_id,
                        "user_id": user_id,
                        "points_spent": points,
                        "points": held - points,
                    },
                )
            )
        except _LotMoved:
            continue
    raise RetriesExhausted(f"the points of {user_id} at {merchant_id} kept changing")

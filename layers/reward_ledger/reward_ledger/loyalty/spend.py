"""Spending points: at the merchant's checkout (staff) or on a campaign's coupon (the member), the
oldest lots first, in one entry.

The lots are read (one Query), the points taken from the oldest until the amount is covered, and each
lot touched is updated under the condition that it still holds what was read: a racing spend or expiry
makes this one read again. The user's points account is never negative, so no spend can exceed them.
"""

from __future__ import annotations

from collections.abc import Callable

from reward_ledger.errors import InsufficientFunds, LedgerError, RetriesExhausted
from reward_ledger.ledger import EntryRequest, EntryResult, Guard, IdempotencyKey, Ledger, Leg
from reward_ledger.loyalty.config import settings
from reward_ledger.points import PointsLot, open_lots, points_account, spent_account

SPEND_KIND = "loyalty.points.spent"
MAX_SPEND_READS = 4

#: what a spend takes and writes besides the lots: ``(held before, guards) -> request``
Planned = Callable[[int, list[Guard]], EntryRequest]


class _LotMoved(RetriesExhausted):
    """A lot changed since it was read (a racing spend or expiry): read again."""


def oldest_first(merchant_id: str, user_id: str, points: int) -> tuple[int, list[Guard]] | None:
    """The points held and the lot guards taking ``points`` from the oldest lots; ``None`` when short."""
    held_lots = open_lots(merchant_id, user_id)
    held = sum(int(lot.left) for lot in held_lots)
    lots = held_lots[: settings().max_lots_per_spend]
    if sum(int(lot.left) for lot in lots) < points:
        return None
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
    return held, guards


def spend_oldest_first(
    ledger: Ledger, merchant_id: str, user_id: str, points: int, plan: Planned, short: LedgerError
) -> EntryResult:
    """Write ``plan``'s entry taking ``points`` oldest first; ``short`` when the member holds fewer
    (a replay of a committed entry still answers, whatever the lots hold now)."""
    for _ in range(MAX_SPEND_READS):
        found = oldest_first(merchant_id, user_id, points)
        if found is None:
            first = plan(points, [])  # refused unless its key committed already: then it replays
            if ledger.entry(first.entry_id) is None:
                raise short
            return ledger.transfer(first)
        try:
            return ledger.transfer(plan(*found))
        except _LotMoved:
            continue
    raise RetriesExhausted(f"the points of {user_id} at {merchant_id} kept changing")


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

    def plan(held: int, guards: list[Guard]) -> EntryRequest:
        return EntryRequest(
            idempotency=idem,
            kind=SPEND_KIND,
            legs=[Leg(points_account(user_id, merchant_id), spent_account(merchant_id), points)],
            guards=guards,
            metadata={"merchant_id": merchant_id, "user_id": user_id, "order_id": order_id, "actor": actor},
            response={
                "entry_id": idem.entry_id,
                "user_id": user_id,
                "points_spent": points,
                "points": held - points,
            },
        )

    short = InsufficientFunds(f"{user_id} holds fewer than {points} points at {merchant_id}")
    return spend_oldest_first(ledger, merchant_id, user_id, points, plan, short)

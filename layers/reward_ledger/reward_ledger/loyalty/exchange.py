"""A member exchanges loyalty points for a coupon of one of the merchant's active campaigns.

One entry, one ``TransactWriteItems``: the price in points from the member's oldest lots (as a
checkout spend takes them) to ``external:loyalty.<m>/spent/PTS``, and the coupon instance the campaign
issues (its value reserved ``campaign budget -> merchant reserved``, the coupon and the member's list
row), so a coupon is never issued without its points, nor points taken without its coupon. The campaign
builds the instance (``reward_ledger.campaigns.shop``, handed in as ``issue``): this module knows
points, not campaigns. Refusals: ``insufficient-points``, ``campaign-not-active``, ``budget-spent``;
a replay of a committed exchange answers its first result whatever changed since.
"""

from __future__ import annotations

from collections.abc import Callable

from reward_ledger.coupon_instance import Instance
from reward_ledger.errors import BudgetSpent, InsufficientFunds, LedgerError, PointsShort
from reward_ledger.ledger import EntryRequest, EntryResult, Guard, IdempotencyKey, Ledger, Leg
from reward_ledger.loyalty.spend import spend_oldest_first
from reward_ledger.points import points_account, spent_account

EXCHANGE_KIND = "loyalty.points.exchanged"
#: tries after the budget looked dry while a read shows money left (racing awards moved it between shards)
DRY_RETRIES = 3

#: the campaign's offer: its price in points and the coupon instance one exchange issues
Offer = Callable[[], tuple[int, Instance]]


def exchange(
    ledger: Ledger, merchant_id: str, user_id: str, idem: IdempotencyKey, offer: Offer
) -> EntryResult:
    """Spend the offer's price in points on one instance of its coupon, exactly once per key."""
    try:
        price, instance = offer()
    except LedgerError:
        if ledger.entry(idem.entry_id) is None:
            raise
        return ledger.transfer(EntryRequest(idempotency=idem, kind=EXCHANGE_KIND))  # replays (or 409)

    def plan(held: int, guards: list[Guard]) -> EntryRequest:
        return EntryRequest(
            idempotency=idem,
            kind=EXCHANGE_KIND,
            legs=[
                Leg(points_account(user_id, merchant_id), spent_account(merchant_id), price),
                *instance.legs,
            ],
            guards=[*guards, *instance.guards],
            metadata={"merchant_id": merchant_id, "user_id": user_id, "code": instance.view["code"]},
            response={
                "entry_id": idem.entry_id,
                "user_id": user_id,
                "points_spent": price,
                "points": held - price,
                "coupon": instance.view,
            },
        )

    short = PointsShort(f"{user_id} holds fewer than {price} points at {merchant_id}", points=price)
    for attempt in range(DRY_RETRIES + 1):
        try:
            return spend_oldest_first(ledger, merchant_id, user_id, price, plan, short)
        except InsufficientFunds as exc:
            if exc.context.get("account") == str(points_account(user_id, merchant_id)):
                raise short from exc
            if exc.context.get("account") != str(instance.funded_by):
                raise
            if attempt == DRY_RETRIES or ledger.balance(instance.funded_by) < instance.view["value"]:
                raise BudgetSpent(
                    f"the budget of this campaign cannot reserve {instance.view['value']}"
                ) from exc
    raise AssertionError("unreachable: the last attempt returns or raises")  # pragma: no cover

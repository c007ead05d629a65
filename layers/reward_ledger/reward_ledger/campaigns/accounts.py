"""The accounts a merchant's money moves through, and the legs that move a sharded balance exactly.

* ``merchant:<m>/prepaid/CNY``   funded from outside (``merchant.funded``); pays campaign budgets.
* ``campaign:<c>/budget/CNY``    a campaign's budget (sharded hot account): pays awards.
* ``merchant:<m>/reserved/CNY``  the value of the merchant's coupons held by users (issued, not redeemed);
  the shard of a coupon is pinned by its code, so redeeming, rolling back and expiring it touch that shard.
* ``merchant:<m>/settled/CNY``   the value of redeemed coupons (what the merchant honoured at checkout).
* ``campaign:<c>/allowance/AWARD`` -> ``campaign:<c>/awarded/AWARD``: one unit per award; the allowance is
  funded with ``max_awards`` units at activation, so the total limit is an overdraft guard on a sharded
  account, never a single hot counter. Without ``max_awards`` the unit comes from ``external:campaigns``.

Money only flows prepaid -> budget -> user or reserved -> settled, or back (budget -> prepaid at the end,
reserved -> budget or prepaid on expiry), so a merchant never spends more than it prepaid.
"""

from __future__ import annotations

from collections.abc import Sequence

from reward_ledger.ledger import Account, Leg, external_account, shard_for
from reward_ledger.ledger.core import balance_key
from reward_ledger.ledger.models import BalanceItem

CNY = "CNY"
AWARD = "AWARD"
FUNDING = external_account("funding", CNY)
AWARD_ISSUER = external_account("campaigns", AWARD)


def prepaid(merchant_id: str) -> Account:
    return Account(f"merchant:{merchant_id}", "prepaid", CNY)


def settled(merchant_id: str) -> Account:
    return Account(f"merchant:{merchant_id}", "settled", CNY)


def reserved(merchant_id: str) -> Account:
    return Account(f"merchant:{merchant_id}", "reserved", CNY)


def budget(campaign_id: str) -> Account:
    return Account(f"campaign:{campaign_id}", "budget", CNY)


def allowance(campaign_id: str) -> Account:
    return Account(f"campaign:{campaign_id}", "allowance", AWARD)


def awarded(campaign_id: str) -> Account:
    return Account(f"campaign:{campaign_id}", "awarded", AWARD)


def coupon_shard(merchant_id: str, code: str) -> int:
    """The shard of ``reserved`` that holds the value of the coupon ``code``."""
    account = reserved(merchant_id)
    return shard_for(code, account, account.policy.shards)


Parts = list[tuple[int, int]]


def shard_parts(account: Account) -> Parts:
    """``(shard, balance)`` of every non-empty shard, read strongly consistent (a plan for exact legs)."""
    keys = [(balance_key(account, s), "BAL") for s in range(account.policy.shards)]
    found = {
        int(item.shard or 0): int(item.balance) for item in BalanceItem.batch_get(keys, consistent_read=True)
    }
    return [(s, b) for s, b in sorted(found.items()) if b > 0]


def spread(amount: int, shards: int) -> Parts:
    """``amount`` split as evenly as possible over ``shards`` (zero parts dropped)."""
    per, extra = divmod(amount, shards)
    return [(s, per + (1 if s < extra else 0)) for s in range(shards) if per + (1 if s < extra else 0)]


def take(parts: Parts, amount: int) -> Parts:
    """The largest shards first until ``amount`` is covered; the caller checked the total suffices."""
    taken: Parts = []
    for shard, available in sorted(parts, key=lambda p: -p[1]):
        if amount == 0:
            break
        part = min(available, amount)
        taken.append((shard, part))
        amount -= part
    assert amount == 0, "take() needs parts that cover the amount"
    return taken


def paired_legs(
    debit: Account, debits: Parts, credit: Account, credits: Sequence[tuple[int, int]]
) -> list[Leg]:
    """Legs moving pinned debit parts into pinned credit parts of the same total (a merge walk)."""
    assert sum(a for _, a in debits) == sum(a for _, a in credits), "paired parts must balance"
    legs: list[Leg] = []
    pending = [list(p) for p in credits]
    index = 0
    for shard, amount in debits:
        while amount:
            target = pending[index]
            part = min(amount, target[1])
            legs.append(Leg(debit, credit, part, debit_shard=shard, credit_shard=target[0]))
            amount -= part
            target[1] -= part
            if target[1] == 0:
                index += 1
    return legs

"""The rentals' accounts and the user's rental record, from which the trust tier follows."""

from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist
from pynamodb.models import Model

from reward_ledger.ledger import Account, Ledger, system_account, user_account
from reward_ledger.ledger.models import LedgerTableMeta
from reward_ledger.rentals.config import Tier, settings
from reward_ledger.users import wallet_account

RENTAL_KIND = "rental"


def cabinet_stock(cabinet_id: str, asset: str) -> Account:
    return Account(f"cabinet:{cabinet_id}", "stock", asset)


def unreturned_account(user_id: str, asset: str) -> Account:
    return user_account(user_id, "unreturned", asset)


def deposit_account(user_id: str) -> Account:
    """The deposit is held from, and given back to, the user's wallet."""
    return wallet_account(user_id)


FORFEITED = system_account("forfeited", "CNY")


class RentalHistory(Model):
    """A user's rental record: rentals started, returns before the due time, late returns."""

    class Meta(LedgerTableMeta):
        pass

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default="HISTORY")
    borrowed = NumberAttribute(default=0)
    on_time = NumberAttribute(default=0)
    late = NumberAttribute(default=0)
    out = NumberAttribute(null=True)  # rentals not over yet (neither returned nor forfeited)


class RentalReturn(Model):
    """Marks a rental returned: the guard that makes a second return (another key) a 409."""

    class Meta(LedgerTableMeta):
        pass

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default="RETURN")
    user_id = UnicodeAttribute()
    returned_at = UnicodeAttribute()
    on_time = BooleanAttribute()


def history_key(user_id: str) -> str:
    return f"RENTHIST#{user_id}"


def history_of(ledger: Ledger, user_id: str) -> dict[str, int]:
    """``borrowed``, ``on_time``, ``late`` (history item) and ``defaults`` (unreturned units, all items)."""
    try:
        item = RentalHistory.get(history_key(user_id), "HISTORY", consistent_read=True)
        counts = {"borrowed": int(item.borrowed), "on_time": int(item.on_time), "late": int(item.late)}
    except DoesNotExist:
        counts = {"borrowed": 0, "on_time": 0, "late": 0}
    assets = sorted({i.asset for i in settings().items})
    balances = ledger.balances([unreturned_account(user_id, a) for a in assets])
    counts["defaults"] = sum(balances.values())
    return counts


def tier_of(ledger: Ledger, user_id: str) -> tuple[Tier, dict[str, int]]:
    history = history_of(ledger, user_id)
    for tier in settings().tiers:
        if tier.admits(history["on_time"], history["defaults"]):
            return tier, history
    raise AssertionError("the last tier admits everyone")  # pragma: no cover - validated at load

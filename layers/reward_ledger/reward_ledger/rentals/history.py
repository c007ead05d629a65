"""The rentals' accounts and the user's rental record, from which the trust tier follows."""

from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist

from reward_ledger.ledger import Account, Ledger, system_account, user_account
from reward_ledger.ledger.models import LedgerTableMeta
from reward_ledger.ledger.table import LedgerModel
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


class RentalHistory(LedgerModel):
    """A user's rental record: rentals started, returns before the due time, late returns, and the
    returns that qualify towards a trust tier (``qualifying``, at most one per ``last_counted_day``)."""

    class Meta(LedgerTableMeta):
        pass

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default="HISTORY")
    borrowed = NumberAttribute(default=0)
    on_time = NumberAttribute(default=0)
    late = NumberAttribute(default=0)
    out = NumberAttribute(null=True)  # rentals not over yet (neither returned nor forfeited)
    qualifying = NumberAttribute(null=True)  # returns that count towards a tier (reset by a default)
    last_counted_day = UnicodeAttribute(null=True)  # ISO local day of the last qualifying return


class RentalReturn(LedgerModel):
    """A rental's return, written by the void's own transaction with what it did for trust (``outcome``);
    ``recorded`` is set once by the entry under the caller's key: a second return (another key) is a 409."""

    class Meta(LedgerTableMeta):
        pass

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default="RETURN")
    user_id = UnicodeAttribute()
    returned_at = UnicodeAttribute()
    on_time = BooleanAttribute()
    outcome = UnicodeAttribute(null=True)  # counted | too-short | late | same-day
    recorded = BooleanAttribute(null=True)


def history_key(user_id: str) -> str:
    return f"RENTHIST#{user_id}"


def history_item(user_id: str) -> RentalHistory | None:
    try:
        return RentalHistory.get(history_key(user_id), "HISTORY", consistent_read=True)
    except DoesNotExist:
        return None


def history_of(ledger: Ledger, user_id: str) -> dict[str, int]:
    """``borrowed``, ``on_time``, ``late``, ``qualifying`` (history item) and ``defaults`` (unreturned
    units, all items)."""
    item = history_item(user_id)
    counts = {
        "borrowed": int(item.borrowed) if item else 0,
        "on_time": int(item.on_time) if item else 0,
        "late": int(item.late) if item else 0,
        "qualifying": int(item.qualifying or 0) if item else 0,
    }
    assets = sorted({i.asset for i in settings().items})
    balances = ledger.balances([unreturned_account(user_id, a) for a in assets])
    counts["defaults"] = sum(balances.values())
    return counts


def tier_of(ledger: Ledger, user_id: str) -> tuple[Tier, dict[str, int]]:
    history = history_of(ledger, user_id)
    for tier in settings().tiers:
        if tier.admits(history["qualifying"], history["defaults"]):
            return tier, history
    raise AssertionError("the last tier admits everyone")  # pragma: no cover - validated at load

"""The forest's accounts and items, and the guard that settles a lot (collect and expiry both use it)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute

from reward_ledger import clock
from reward_ledger.errors import LedgerError
from reward_ledger.forest.config import settings
from reward_ledger.ledger import Account, Guard, expired_account, system_account, user_account
from reward_ledger.ledger.models import LedgerTableMeta
from reward_ledger.ledger.table import LedgerModel

LOT_KIND = "oxygen_lot"
#: reads a collect makes at most when its lots keep changing under it (then :class:`KeptChanging`)
MAX_REREADS = 4
ASSET = "O2"

LOT_POOL = system_account("lots", ASSET)
EXPIRED = expired_account(ASSET)
PLANTED = system_account("planted", ASSET)


def energy(user_id: str) -> Account:
    return user_account(user_id, "energy", ASSET)


class Lot(LedgerModel):
    """One oxygen lot: ``pk=FOREST#<user>``, ``sk=LOT#<lot_id>``; the lot id starts with its deadline so
    a range query skips every lot whose day is over."""

    class Meta(LedgerTableMeta):
        pass

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    lot_id = UnicodeAttribute()
    owner = UnicodeAttribute()
    amount = NumberAttribute()
    stolen = NumberAttribute(default=0)
    state = UnicodeAttribute(default="open")  # open -> collected | expired
    ripe_at = UnicodeAttribute()
    deadline = UnicodeAttribute()
    pool_shard = NumberAttribute()
    granted_by = UnicodeAttribute(null=True)
    settled_by = UnicodeAttribute(null=True)
    exp_bucket = UnicodeAttribute(null=True)
    expires_at = UnicodeAttribute(null=True)
    exp_kind = UnicodeAttribute(null=True)
    ttl = NumberAttribute(null=True)

    @property
    def remaining(self) -> int:
        return int(self.amount) - int(self.stolen)


class Tree(LedgerModel):
    class Meta(LedgerTableMeta):
        pass

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    certificate_id = UnicodeAttribute()
    species = UnicodeAttribute()
    cost = NumberAttribute()
    planted_at = UnicodeAttribute()


class StealMarker(LedgerModel):
    """``pk=STEAL#<owner>#<lot_id>``, ``sk=<thief>``: a friend takes from a lot at most once."""

    class Meta(LedgerTableMeta):
        pass

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    entry_id = UnicodeAttribute()
    ttl = NumberAttribute(null=True)


def partition(user_id: str) -> str:
    return f"FOREST#{user_id}"


def compact(instant: datetime) -> str:
    return instant.astimezone(clock.zone("UTC")).strftime("%Y%m%dT%H%M%SZ")


def ttl_after(now: datetime, days: int) -> int:
    return int((now + timedelta(days=days)).timestamp())


class LotMoved(LedgerError):
    """A lot changed between the read and the write (stolen from, collected, expired): read again."""

    def __init__(self, key: str) -> None:
        super().__init__(f"lot {key} changed")
        self.key = key


def settle_guard(lot: Lot, condition: Any, state: str, entry_id: str, now: datetime) -> Guard:
    """Close ``lot`` as ``state`` (collected, expired) under ``condition``, out of the expiry index."""
    key = f"{lot.pk}|{lot.sk}"
    return Guard.update(
        Lot(pk=lot.pk, sk=lot.sk),
        [
            Lot.state.set(state),
            Lot.settled_by.set(entry_id),
            Lot.exp_bucket.remove(),
            Lot.exp_kind.remove(),
            Lot.ttl.set(ttl_after(now, settings().lots.settled_ttl_days)),
        ],
        condition,
        lambda _old: LotMoved(key),
    )

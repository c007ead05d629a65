"""The farm's accounts and items: the chicken (one item per user) and the egg batches it laid."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute

from reward_ledger.errors import LedgerError
from reward_ledger.ledger import (
    Account,
    expired_account,
    external_account,
    system_account,
    user_account,
)
from reward_ledger.ledger.models import LedgerTableMeta
from reward_ledger.ledger.table import LedgerModel

BATCH_KIND = "egg_batch"
#: reads a settle, a feed or an expiry makes at most when the chicken keeps changing under it
MAX_REREADS = 4
EGG_ISSUER = external_account("farm", "EGG")
CONSUMED = system_account("consumed", "FEED")
EXPIRED = expired_account("EGG")


def feed_account(user_id: str) -> Account:
    return user_account(user_id, "feed", "FEED")


def eggs_account(user_id: str) -> Account:
    return user_account(user_id, "eggs", "EGG")


class Chicken(LedgerModel):
    class Meta(LedgerTableMeta):
        pass

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default="CHICKEN")
    meal_started_at = UnicodeAttribute(null=True)
    eating_until = UnicodeAttribute(null=True)
    settled = BooleanAttribute(default=True)
    egg_progress = NumberAttribute(default=0)
    eggs_laid = NumberAttribute(default=0)
    eggs_out = NumberAttribute(null=True)  # eggs that left: donated or expired (the FIFO cursor)
    version = NumberAttribute(default=0)
    last_fed_by = UnicodeAttribute(null=True)


class EggBatch(LedgerModel):
    """Eggs laid by one meal: ``eggs`` eggs at FIFO positions ``laid_before .. laid_before + eggs``."""

    class Meta(LedgerTableMeta):
        pass

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    owner = UnicodeAttribute()
    eggs = NumberAttribute()
    laid_before = NumberAttribute()
    laid_at = UnicodeAttribute()
    state = UnicodeAttribute(default="open")  # open -> expired (donated eggs leave through FIFO counts)
    expired_count = NumberAttribute(null=True)
    settled_by = UnicodeAttribute(null=True)
    exp_bucket = UnicodeAttribute(null=True)
    expires_at = UnicodeAttribute(null=True)
    exp_kind = UnicodeAttribute(null=True)
    ttl = NumberAttribute(null=True)


def partition(user_id: str) -> str:
    return f"FARM#{user_id}"


class ChickenMoved(LedgerError):
    """The chicken changed between the read and the write: read again."""


@dataclass(slots=True)
class ChickenState:
    item: Chicken
    exists: bool


def load(user_id: str) -> ChickenState:
    try:
        return ChickenState(Chicken.get(partition(user_id), "CHICKEN", consistent_read=True), True)
    except Chicken.DoesNotExist:
        return ChickenState(Chicken(pk=partition(user_id), sk="CHICKEN"), False)


def version_condition(state: ChickenState) -> Any:
    if not state.exists:
        return Chicken.pk.does_not_exist()
    return Chicken.version == int(state.item.version)

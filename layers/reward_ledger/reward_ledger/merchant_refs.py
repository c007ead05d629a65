"""A merchant as the programs refer to it: the registry item the merchants feature writes
(``pk=MERCHANT#<m>``, ``sk=MERCHANT``), checked inside a program's own transaction.

Loyalty, challenges and gift cards need to know that a merchant exists without importing the merchants
feature: this neutral module knows the registry's key only, and checks it with a ``ConditionCheck`` (no
extra call, and a merchant cannot vanish between a read and the write).
"""

from __future__ import annotations

from pynamodb.attributes import UnicodeAttribute

from reward_ledger.errors import NotFound
from reward_ledger.ledger import Guard
from reward_ledger.ledger.models import LedgerTableMeta
from reward_ledger.ledger.table import LedgerModel

MERCHANT_SK = "MERCHANT"


class MerchantRef(LedgerModel):
    """The key of a merchant's registry item (its other attributes belong to the merchants feature)."""

    class Meta(LedgerTableMeta):
        pass

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default=MERCHANT_SK)


def merchant_pk(merchant_id: str) -> str:
    return f"MERCHANT#{merchant_id}"


def merchant_exists_guard(merchant_id: str) -> Guard:
    """404 ``not-found`` unless the merchant is registered."""
    return Guard.check(
        MerchantRef,
        merchant_pk(merchant_id),
        MERCHANT_SK,
        MerchantRef.pk.exists(),
        lambda _old: NotFound(f"no merchant {merchant_id!r}"),
    )

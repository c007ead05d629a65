"""Gift cards: the value sits in ``giftcard:<card>/value/CNY`` (one account per card, never negative),
held for its merchant; captures move it to ``merchant:<m>/captured/CNY``.

* card       ``pk=GIFTCARD#<card>``  ``sk=CARD``    merchant, owner, ``balance`` (mirrors the account,
  written in the same transactions), ``given`` once the first owner gave it away
* owner row  ``pk=UGIFTCARD#<u>``    ``sk=<card>``  (GET /v1/me/gift-cards)
"""

from __future__ import annotations

from functools import cache

from pydantic import PositiveInt
from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from reward_ledger.config import StrictModel, load_model
from reward_ledger.ledger import Account
from reward_ledger.ledger.models import LedgerTableMeta
from reward_ledger.ledger.table import LedgerModel

CNY = "CNY"


class GiftCardSettings(StrictModel):
    min_amount: PositiveInt
    max_amount: PositiveInt
    max_listed: PositiveInt
    max_capture_attempts: PositiveInt


@cache
def settings() -> GiftCardSettings:
    loaded = load_model("giftcards", GiftCardSettings)
    assert loaded.min_amount <= loaded.max_amount
    return loaded


def card_account(card_id: str) -> Account:
    return Account(f"giftcard:{card_id}", "value", CNY)


def captured_account(merchant_id: str) -> Account:
    return Account(f"merchant:{merchant_id}", "captured", CNY)


class GiftCard(LedgerModel):
    class Meta(LedgerTableMeta):
        pass

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default="CARD")
    card_id = UnicodeAttribute()
    merchant_id = UnicodeAttribute()
    owner = UnicodeAttribute()
    balance = NumberAttribute()
    given = BooleanAttribute(default=False)
    issued_at = UnicodeAttribute()


class OwnedCard(LedgerModel):
    class Meta(LedgerTableMeta):
        pass

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)


MODELS: tuple[type[Model], ...] = (GiftCard, OwnedCard)


def card_pk(card_id: str) -> str:
    return f"GIFTCARD#{card_id}"


def owner_pk(user_id: str) -> str:
    return f"UGIFTCARD#{user_id}"

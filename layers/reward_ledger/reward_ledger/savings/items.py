"""The savings' accounts and items: one partition per user, so every read is one ``Query``."""

from __future__ import annotations

from pynamodb.attributes import ListAttribute, NumberAttribute, UnicodeAttribute, UnicodeSetAttribute

from reward_ledger.ledger import Account, user_account
from reward_ledger.ledger.models import LedgerTableMeta
from reward_ledger.ledger.table import LedgerModel
from reward_ledger.users import WALLET_ASSET, wallet_account

ASSET = WALLET_ASSET


class SavingsItem(LedgerModel):
    """A user's savings state: one progress item per started story and one summary item."""

    class Meta(LedgerTableMeta):
        pass

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    user_id = UnicodeAttribute(null=True)
    story_id = UnicodeAttribute(null=True)
    chapter = NumberAttribute(null=True)
    saved = NumberAttribute(null=True)
    picks = ListAttribute(of=UnicodeAttribute, null=True)
    started_at = UnicodeAttribute(null=True)
    completed_at = UnicodeAttribute(null=True)
    updated_at = UnicodeAttribute(null=True)
    choices = NumberAttribute(null=True)
    stories_completed = NumberAttribute(null=True)
    save_days = UnicodeSetAttribute(null=True)


SUMMARY_SK = "SUMMARY"


def user_pk(user_id: str) -> str:
    return f"SAVINGS#{user_id}"


def story_sk(story_id: str) -> str:
    return f"STORY#{story_id}"


def wallet(user_id: str) -> Account:
    """The savings' source: the user's wallet."""
    return wallet_account(user_id)


def purse(user_id: str) -> Account:
    return user_account(user_id, "purse", ASSET)

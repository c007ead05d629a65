"""The caller's balances and journal, as the contract shapes them."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from reward_ledger.config import ledger_settings
from reward_ledger.errors import ValidationFailed
from reward_ledger.ledger import account_history, user_account
from reward_ledger.replies import Reply
from reward_ledger.runtime import ledger


class Balance(Reply):
    book: str = Field(
        description="the book: wallet, purse, cash, energy, feed, eggs, seeds...", examples=["wallet"]
    )
    asset: str = Field(description="CNY (fen), O2 and FEED (grams), EGG and SEED (counts)", examples=["CNY"])
    balance: int = Field(description="integer minor units of the asset", examples=[8010])


class JournalLine(Reply):
    entry_id: str = Field(examples=["k7q2m4x9a1b3c5d7e9f0"])
    kind: str = Field(description="what moved the money", examples=["savings.choice"])
    amount: int = Field(description="integer minor units of the book's asset", examples=[1990])
    direction: Literal["debit", "credit"] = Field(description="debit: left the book; credit: arrived")
    created_at: str = Field(description="ISO-8601 UTC", examples=["2026-12-01T08:00:00Z"])


class JournalPage(Reply):
    """One page of the book's entries, newest first."""

    entries: list[JournalLine]
    next_cursor: str | None = Field(description="pass as `cursor` for the next page; null on the last")


def user_balances(user_id: str) -> list[Balance]:
    books = ledger_settings().user_books
    accounts = [user_account(user_id, b.book, b.asset) for b in books]
    found = ledger().balances(accounts)
    return [Balance(book=a.book, asset=a.asset, balance=found[a]) for a in accounts]


def journal_page(user_id: str, book: str, asset: str | None, limit: int, cursor: str | None) -> JournalPage:
    assets = {b.book: b.asset for b in ledger_settings().user_books}
    if book not in assets:
        raise ValidationFailed(f"unknown book {book!r}; books: {', '.join(assets)}")
    if asset is not None and asset != assets[book]:
        raise ValidationFailed(f"book {book!r} holds {assets[book]}, not {asset!r}")
    lines, next_cursor = account_history(
        user_account(user_id, book, assets[book]), limit=limit, cursor=cursor
    )
    entries = [JournalLine.model_validate(line.as_dict()) for line in lines]
    return JournalPage(entries=entries, next_cursor=next_cursor)

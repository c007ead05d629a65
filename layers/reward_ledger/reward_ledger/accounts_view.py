"""The caller's balances and journal, as the contract shapes them."""

from __future__ import annotations

from typing import Any

from reward_ledger.config import ledger_settings
from reward_ledger.errors import ValidationFailed
from reward_ledger.ledger import account_history, user_account
from reward_ledger.runtime import ledger


def user_balances(user_id: str) -> list[dict[str, Any]]:
    books = ledger_settings().user_books
    accounts = [user_account(user_id, b.book, b.asset) for b in books]
    found = ledger().balances(accounts)
    return [{"book": a.book, "asset": a.asset, "balance": found[a]} for a in accounts]


def journal_page(
    user_id: str, book: str, asset: str | None, limit: int, cursor: str | None
) -> dict[str, Any]:
    assets = {b.book: b.asset for b in ledger_settings().user_books}
    if book not in assets:
        raise ValidationFailed(f"unknown book {book!r}; books: {', '.join(assets)}")
    if asset is not None and asset != assets[book]:
        raise ValidationFailed(f"book {book!r} holds {assets[book]}, not {asset!r}")
    lines, next_cursor = account_history(
        user_account(user_id, book, assets[book]), limit=limit, cursor=cursor
    )
    return {"entries": [line.as_dict() for line in lines], "next_cursor": next_cursor}

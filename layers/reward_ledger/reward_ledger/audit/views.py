"""What the audit routes answer: an entry as stored, an account's balance at a moment, its history."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from reward_ledger import clock
from reward_ledger.errors import NotFound, ValidationFailed
from reward_ledger.ledger import Account, Ledger
from reward_ledger.ledger.core import resolution_id
from reward_ledger.ledger.journal import balance_at, journal_page, parse_account, parse_instant
from reward_ledger.users import encode_user_id

USER_OWNER = "user:"


def entry_view(ledger: Ledger, entry_id: str) -> dict[str, Any]:
    """The whole entry: postings, metadata, state, who resolved it and what reversed it (when any)."""
    entry = ledger.entry(entry_id)
    if entry is None:
        raise NotFound(f"no entry {entry_id}")
    view: dict[str, Any] = {
        "entry_id": entry.entry_id,
        "kind": entry.kind,
        "state": entry.state,
        "postings": [
            {"account": p.account, "shard": int(p.shard), "delta": int(p.delta)} for p in entry.postings
        ],
        "metadata": dict(entry.metadata or {}),
        "created_at": entry.created_at,
    }
    if entry.reversed_by:
        view["reversed_by"] = entry.reversed_by
    if entry.resolved_by:
        view["resolved_by"] = entry.resolved_by
        view["resolution_id"] = resolution_id(str(entry.entry_id))
    if entry.pending is not None:
        view["pending"] = {
            "legs": entry.pending.get("legs", []),
            "on_timeout": entry.pending.get("on_timeout"),
        }
    return view


def path_account(text: str) -> Account:
    """The account a path names. A user's account names the user as every path does, by the id their
    token carries (``user:auth0|5f7c/wallet/CNY``), encoded here as the edge encodes a ``sub``; the
    answer's ``account`` is the account as stored (``user:auth0:7C5f7c/wallet/CNY``)."""
    text = unquote(text)
    owner, slash, rest = text.partition("/")
    if owner.startswith(USER_OWNER) and slash:
        try:
            owner = USER_OWNER + encode_user_id(owner.removeprefix(USER_OWNER))
        except ValueError as exc:
            raise ValidationFailed(f"account {text!r}: {exc}") from exc
    return parse_account(f"{owner}/{rest}" if slash else owner)


def account_balance(account_text: str, at_text: str | None) -> dict[str, Any]:
    """``account``'s balance as of ``at`` (default now), summed from its journal."""
    account = path_account(account_text)
    at = parse_instant(at_text) if at_text else clock.now()
    return {"account": str(account), "balance": balance_at(account, at), "at": clock.iso(at)}


def account_history(account_text: str, limit: int, cursor: str | None) -> dict[str, Any]:
    account = path_account(account_text)
    lines, next_cursor = journal_page(account, limit=limit, cursor=cursor)
    return {
        "account": str(account),
        "entries": [line.as_dict() for line in lines],
        "next_cursor": next_cursor,
    }

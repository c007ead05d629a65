"""What the audit routes answer: an entry as stored, an account's balance at a moment, its history.

Each view is a typed reply (the OpenAPI schemas of the operators' routes come from these models).
"""

from __future__ import annotations

from typing import Literal
from urllib.parse import unquote

from pydantic import Field, JsonValue

from reward_ledger import clock
from reward_ledger.errors import NotFound, ValidationFailed
from reward_ledger.ledger import Account, Ledger
from reward_ledger.ledger.core import resolution_id
from reward_ledger.ledger.journal import balance_at, journal_page, parse_account, parse_instant
from reward_ledger.replies import Reply
from reward_ledger.users import encode_user_id

USER_OWNER = "user:"
ACCOUNT_EXAMPLE = "alice/wallet/CNY"


class EntryPosting(Reply):
    account: str = Field(description="owner/book/asset", examples=[ACCOUNT_EXAMPLE])
    shard: int = Field(description="the balance shard the posting touched", examples=[0])
    delta: int = Field(description="signed minor units of the account's asset", examples=[-1990])


class PendingLeg(Reply):
    debit: str = Field(description="account the money leaves on post", examples=[ACCOUNT_EXAMPLE])
    credit: str = Field(description="account the money reaches on post", examples=["system/payout/CNY"])
    amount: int = Field(description="minor units", examples=[500])


class PendingPart(Reply):
    legs: list[PendingLeg] = Field(description="what posting the held entry moves")
    on_timeout: str | None = Field(description="post or void when nobody resolves it in time")


class EntryView(Reply):
    """One entry as stored: postings, metadata, state, its resolution and its reversal."""

    entry_id: str = Field(examples=["k7q2m4x9a1b3c5d7e9f0"])
    kind: str = Field(examples=["savings.choice"])
    state: Literal["posted", "pending", "voided"]
    postings: list[EntryPosting] = Field(description="they sum to zero per asset")
    metadata: dict[str, JsonValue] = Field(description="what the feature recorded with the entry")
    created_at: str = Field(description="ISO-8601 UTC")
    reversed_by: str | None = Field(default=None, description="the entry that undid this one")
    resolved_by: str | None = Field(default=None, description="who posted or voided a pending entry")
    resolution_id: str | None = Field(default=None, description="the entry of that resolution")
    pending: PendingPart | None = Field(default=None, description="a two-phase entry's held legs")


class AccountBalance(Reply):
    """An account's balance at a moment, summed from its journal."""

    account: str = Field(examples=[ACCOUNT_EXAMPLE])
    balance: int = Field(description="minor units of the account's asset", examples=[8010])
    at: str = Field(description="ISO-8601 UTC instant of the balance")


class HistoryEntry(Reply):
    entry_id: str = Field(examples=["k7q2m4x9a1b3c5d7e9f0"])
    kind: str = Field(examples=["savings.choice"])
    amount: int = Field(description="minor units of the account's asset", examples=[1990])
    direction: Literal["debit", "credit"] = Field(description="debit: left the account; credit: arrived")
    created_at: str = Field(description="ISO-8601 UTC")


class AccountHistory(Reply):
    """One page of the account's postings, newest first."""

    account: str = Field(examples=[ACCOUNT_EXAMPLE])
    entries: list[HistoryEntry]
    next_cursor: str | None = Field(description="pass as `cursor` for the next page; null on the last")


def entry_view(ledger: Ledger, entry_id: str) -> EntryView:
    """The whole entry: postings, metadata, state, who resolved it and what reversed it (when any)."""
    entry = ledger.entry(entry_id)
    if entry is None:
        raise NotFound(f"no entry {entry_id}")
    view: dict[str, object] = {
        "entry_id": entry.entry_id,
        "kind": entry.kind,
        "state": entry.state,
        "postings": [
            EntryPosting(account=p.account, shard=int(p.shard), delta=int(p.delta)) for p in entry.postings
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
    return EntryView.model_validate(view)


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


def account_balance(account_text: str, at_text: str | None) -> AccountBalance:
    """``account``'s balance as of ``at`` (default now), summed from its journal."""
    account = path_account(account_text)
    at = parse_instant(at_text) if at_text else clock.now()
    return AccountBalance(account=str(account), balance=balance_at(account, at), at=clock.iso(at))


def account_history(account_text: str, limit: int, cursor: str | None) -> AccountHistory:
    account = path_account(account_text)
    lines, next_cursor = journal_page(account, limit=limit, cursor=cursor)
    return AccountHistory(
        account=str(account),
        entries=[HistoryEntry.model_validate(line.as_dict()) for line in lines],
        next_cursor=next_cursor,
    )

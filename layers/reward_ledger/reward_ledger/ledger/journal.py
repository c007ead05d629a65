"""Any account's journal from the HistoryIndex: its postings newest first, and its balance at a moment.

Every posting of every account has a history row (``data/ledger.toml``: every kind keeps history), in
the partition of its balance shard (``history_partition``). An account's journal is therefore the merge
of its shards' partitions, ordered by ``(hist_sk, shard)`` descending; ``hist_sk`` is
``<created_at>#<entry_id>``, so the balance at ``at`` is exactly the sum of the rows whose ``created_at``
is at or before ``at`` (millisecond precision, as entries are stamped). The cursor is the position of
the last row returned, checked against the account, so a forged one is a 400 and never reads elsewhere.
"""

from __future__ import annotations

import heapq
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from reward_ledger import clock
from reward_ledger.errors import ValidationFailed
from reward_ledger.ledger.accounts import Account
from reward_ledger.ledger.core import history_partition
from reward_ledger.ledger.history import MAX_PAGE, HistoryLine, pack, unpack
from reward_ledger.ledger.models import HistoryRow

# "$" sorts right after "#": the bound above every "<at>#<entry_id>" of the same millisecond
_AFTER_MILLISECOND = "$"


class _Cursor(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    account: str = Field(min_length=1, max_length=400)
    before: str = Field(min_length=1, max_length=200)
    shard: int = Field(ge=0)


def parse_account(text: str) -> Account:
    """An account from its ``owner/book/asset`` text; a 400 for anything else."""
    try:
        account = Account.parse(text)
    except ValueError as exc:
        raise ValidationFailed(f"{text!r} is not an account (owner/book/asset)") from exc
    if not account.policy.history:
        raise ValidationFailed(f"accounts of kind {account.kind!r} keep no journal")
    return account


def parse_instant(text: str) -> datetime:
    """An ISO-8601 instant (a naive one is UTC); a 400 for anything else."""
    try:
        return clock.parse_iso(text)
    except (ValueError, TypeError) as exc:
        raise ValidationFailed(f"at={text!r} is not an ISO-8601 time") from exc


def _partitions(account: Account) -> list[str]:
    return [history_partition(account, shard) for shard in range(account.policy.shards)]


def balance_at(account: Account, at: datetime) -> int:
    """Sum of ``account``'s postings stamped at or before ``at``: O(its entries), an operator's read."""
    bound = clock.iso(at) + _AFTER_MILLISECOND
    total = 0
    for partition in _partitions(account):
        for row in HistoryRow.history_index.query(partition, HistoryRow.hist_sk < bound):
            total += int(row.hist_delta or 0)
    return total


def _encode(cursor: _Cursor) -> str:
    return pack(cursor.model_dump(mode="json"))


def _decode(text: str, account: Account) -> _Cursor:
    cursor = unpack(text, _Cursor)
    if cursor.account != str(account) or cursor.shard >= account.policy.shards:
        raise ValidationFailed("cursor is not one this API returned for this account")
    return cursor


def journal_page(
    account: Account, *, limit: int = 20, cursor: str | None = None
) -> tuple[list[HistoryLine], str | None]:
    """One page of ``account``'s postings, newest first, and the next page's cursor (or None)."""
    if not 1 <= limit <= MAX_PAGE:
        raise ValidationFailed(f"limit must be between 1 and {MAX_PAGE}")
    after = _decode(cursor, account) if cursor else None
    rows: list[tuple[str, int, HistoryRow]] = []
    for shard, partition in enumerate(_partitions(account)):
        condition = None
        if after is not None:
            # rows of the cursor's own millisecond and entry in lower shards come after it in the order
            below = after.shard > shard
            condition = HistoryRow.hist_sk <= after.before if below else HistoryRow.hist_sk < after.before
        query = HistoryRow.history_index.query(
            partition, condition, scan_index_forward=False, limit=limit + 1
        )
        rows.extend((str(row.hist_sk), shard, row) for row in query)
    page = heapq.nlargest(limit + 1, rows, key=lambda r: (r[0], r[1]))
    lines = [
        HistoryLine(
            entry_id=row.entry_id,
            kind=row.kind,
            amount=abs(int(row.hist_delta or 0)),
            direction="debit" if int(row.hist_delta or 0) < 0 else "credit",
            created_at=row.created_at,
        )
        for _, _, row in page[:limit]
    ]
    if len(page) <= limit:
        return lines, None
    last_sk, last_shard, _ = page[limit - 1]
    return lines, _encode(_Cursor(account=str(account), before=last_sk, shard=last_shard))

"""Account history: an account's entries, newest first, paged with an opaque cursor."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel, Field, ValidationError

from reward_ledger.config import StrictModel
from reward_ledger.errors import ValidationFailed
from reward_ledger.ledger.accounts import Account
from reward_ledger.ledger.models import HistoryRow

MAX_PAGE = 100
MAX_KEY_PART_CHARS = 1024
CursorT = TypeVar("CursorT", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class HistoryLine:
    entry_id: str
    kind: str
    amount: int
    direction: str  # "debit" (money left the account) or "credit" (money arrived)
    created_at: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "entry_id": self.entry_id,
            "kind": self.kind,
            "amount": self.amount,
            "direction": self.direction,
            "created_at": self.created_at,
        }


def pack(value: Any) -> str:
    """JSON as unpadded base64url: the one text form of every page cursor."""
    return base64.urlsafe_b64encode(json.dumps(value, sort_keys=True).encode()).decode().rstrip("=")


def unpack(text: str, shape: type[CursorT]) -> CursorT:
    """The cursor ``text`` packs, validated as ``shape``: a text no cursor could be (not base64url, not
    JSON, nested too deep, or JSON of another shape, such as ``{"hist_pk": "x"}``) is a 400
    ``validation-error`` here, never an error deep inside a query."""
    try:
        raw = json.loads(base64.urlsafe_b64decode((text + "=" * (-len(text) % 4)).encode()))
    except (ValueError, binascii.Error, RecursionError) as exc:
        raise ValidationFailed("cursor is not one this API returned") from exc
    try:
        return shape.model_validate(raw)
    except ValidationError as exc:
        raise ValidationFailed("cursor is not one this API returned") from exc


class _KeyPart(StrictModel):
    """One DynamoDB string key attribute, as a page's ``LastEvaluatedKey`` holds it."""

    S: str = Field(min_length=1, max_length=MAX_KEY_PART_CHARS)


class _HistoryKey(StrictModel):
    """Exactly the keys a HistoryIndex page ends on (the index's and the table's)."""

    hist_pk: _KeyPart
    hist_sk: _KeyPart
    pk: _KeyPart
    sk: _KeyPart


def encode_cursor(last_key: dict[str, Any] | None) -> str | None:
    if not last_key:
        return None
    return pack(last_key)


def decode_cursor(cursor: str | None, account: Account) -> dict[str, Any] | None:
    """Decode a cursor, refusing one that was forged or belongs to another account."""
    if not cursor:
        return None
    key = unpack(cursor, _HistoryKey).model_dump()
    if key["hist_pk"]["S"] != str(account):
        raise ValidationFailed("cursor is not one this API returned for this account")
    return key


def account_history(
    account: Account, *, limit: int = 20, cursor: str | None = None
) -> tuple[list[HistoryLine], str | None]:
    """One page of ``account``'s entries, newest first, and the cursor of the next page (or None)."""
    if not 1 <= limit <= MAX_PAGE:
        raise ValidationFailed(f"limit must be between 1 and {MAX_PAGE}")
    result = HistoryRow.history_index.query(
        str(account),
        scan_index_forward=False,
        limit=limit,
        last_evaluated_key=decode_cursor(cursor, account),
    )
    lines = [
        HistoryLine(
            entry_id=row.entry_id,
            kind=row.kind,
            amount=abs(int(row.hist_delta or 0)),
            direction="debit" if int(row.hist_delta or 0) < 0 else "credit",
            created_at=row.created_at,
        )
        for row in result
    ]
    next_key = result.last_evaluated_key if len(lines) == limit else None
    return lines, encode_cursor(next_key)

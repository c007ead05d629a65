"""The operators' review queue of held game rewards.

A held reward writes, in its own hold transaction, a review item ``pk=HELDREVIEW#<UTC day held>``,
``sk=<held_at>#<entry_id>``; whoever resolves the hold (an operator's approve or reject, or the hold
timeout of the expiry sweep) deletes it in the resolving transaction. So the queue lists exactly the
rewards still pending, one Query per day, oldest first, without scanning the journal. A day's partition
only takes the suspect results of that day.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, Literal

from pydantic import Field
from pynamodb.attributes import ListAttribute, NumberAttribute, UnicodeAttribute

from reward_ledger import clock, review_queue
from reward_ledger.ledger import Guard, unconditional
from reward_ledger.ledger.models import EntryItem, LedgerTableMeta
from reward_ledger.ledger.table import LedgerModel
from reward_ledger.replies import Reply

PAGE_LIMIT = review_queue.PAGE_LIMIT
AFTER_PATTERN = review_queue.AFTER_PATTERN
QUEUE = "HELDREVIEW"


class HeldReview(LedgerModel):
    """One held game reward waiting for an operator (deleted when the hold is resolved)."""

    class Meta(LedgerTableMeta):
        pass

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    entry_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    game_id = UnicodeAttribute()
    granted = NumberAttribute()
    sponsored = NumberAttribute()
    suspect = ListAttribute(of=UnicodeAttribute)
    held_at = UnicodeAttribute()
    review_by = UnicodeAttribute()


def review_key(entry_id: str, held_at: datetime) -> dict[str, str]:
    """Where a hold's review item lives; kept in the entry's metadata so the resolution finds it."""
    return review_queue.queue_key(QUEUE, entry_id, held_at)


def listed(entry_id: str, held_at: datetime, review_by: datetime, meta: Mapping[str, Any]) -> Guard:
    """The review item, put in the hold's transaction (its key is new: the entry id is)."""
    key = review_key(entry_id, held_at)
    item = HeldReview(
        pk=key["pk"],
        sk=key["sk"],
        entry_id=entry_id,
        user_id=str(meta["user_id"]),
        game_id=str(meta["game_id"]),
        granted=int(meta["granted"]),
        sponsored=int(meta["sponsored"]),
        suspect=[str(reason) for reason in meta["suspect"]],
        held_at=clock.iso(held_at),
        review_by=clock.iso(review_by),
    )
    return Guard.put(item, None, unconditional)  # the key holds the entry id, new by the header's condition


def unlisted(header: EntryItem, _action: Literal["post", "void"]) -> list[Guard]:
    """The resolution's guard: the review item goes, whichever way and whoever resolved."""
    key = (header.metadata or {}).get("review")
    if not isinstance(key, Mapping):
        return []
    return [Guard.delete(HeldReview(pk=str(key["pk"]), sk=str(key["sk"])), None, unconditional)]


class HeldReward(Reply):
    entry_id: str = Field(examples=["k7q2m4x9a1b3c5d7e9f0"])
    user_id: str = Field(examples=["alice"])
    game_id: str = Field(examples=["tap-tap"])
    granted: int = Field(description="fen held for the user")
    sponsored: int = Field(description="fen of it a campaign sponsors")
    suspect: list[str] = Field(description="why it was held", examples=[["score-rate"]])
    held_at: str = Field(description="ISO-8601 UTC")
    review_by: str = Field(description="ISO-8601 UTC; unreviewed by then, the hold times out")


class HeldRewards(Reply):
    """Held game rewards still waiting for review, oldest first."""

    day: str = Field(description="UTC day YYYY-MM-DD", examples=["2026-12-01"])
    held: list[HeldReward]
    next: str | None = Field(description="pass as `after` for the next page; null on the last")


def held_rewards(day: date, *, after: str | None = None) -> HeldRewards:
    """The rewards held on ``day`` (UTC) and still pending, oldest first; ``next`` pages on."""
    items, following = review_queue.page(HeldReview, QUEUE, day, after, PAGE_LIMIT)
    return HeldRewards.model_validate(
        {
            "day": day.isoformat(),
            "held": [
                {
                    "entry_id": item.entry_id,
                    "user_id": item.user_id,
                    "game_id": item.game_id,
                    "granted": int(item.granted),
                    "sponsored": int(item.sponsored),
                    "suspect": list(item.suspect or []),
                    "held_at": item.held_at,
                    "review_by": item.review_by,
                }
                for item in items
            ],
            "next": following,
        }
    )

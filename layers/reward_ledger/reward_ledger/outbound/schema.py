"""The outbound events' schemas (EventBridge ``detail``), and how each is read from a stream image.

* ``ledger.entry.committed``: an entry header was inserted (the entry committed; a refused transaction
  writes no stream record). Postings are netted per account over its shards and sum to zero per asset.
* ``reminder.due``: a reminder item turned ``sent`` (the finder decided to deliver it).
* ``game.result``, ``story.choice``: a credited game result, a savings choice (``outbound.triggers``
  reads them from the entry's header): what merchants' campaigns are evaluated on.

The delivery is at least once: a consumer drops repeats by ``dedupe_id`` (the entry id, or the reminder
id), which is also the detail's own id field.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict

from reward_ledger.users import public_user_id

SOURCE = "reward-ledger"
ENTRY_COMMITTED: Final = "ledger.entry.committed"
REMINDER_DUE: Final = "reminder.due"
GAME_RESULT: Final = "game.result"
STORY_CHOICE: Final = "story.choice"
CHALLENGE_COMPLETED: Final = "challenge.completed"
INVITE_QUALIFIED: Final = "invite.qualified"
Image = Mapping[str, Any]


class Posting(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    account: str
    delta: int


class EntryCommitted(BaseModel):
    """``ledger.entry.committed``: one per committed entry; ``entry_id`` is the dedupe key."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    entry_id: str
    kind: str
    state: str
    postings: list[Posting]
    created_at: str


class ReminderDue(BaseModel):
    """``reminder.due``: one per (user, reminder, subject); ``reminder_id`` is the dedupe key."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    reminder_id: str
    user_id: str
    reminder: str
    subject: str
    due_at: str
    sent_at: str
    data: dict[str, Any]


class GameResult(BaseModel):
    """``game.result``: a credited result (``entry_id`` is the result's entry and the dedupe key)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    entry_id: str
    user_id: str
    game_id: str
    level: int | None
    score: int


class StoryChoice(BaseModel):
    """``story.choice``: a savings choice made (``entry_id`` is the choice's entry and the dedupe key)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    entry_id: str
    user_id: str
    story_id: str
    choice_id: str


class ChallengeCompleted(BaseModel):
    """``challenge.completed``: a winner's last check-in committed; campaigns pay its prizes."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    entry_id: str
    challenge_id: str
    user_id: str


class InviteQualified(BaseModel):
    """``invite.qualified``: an invitee's first qualifying payment; the platform's campaign pays the
    inviter (``user_id``) once per invitee."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    entry_id: str
    user_id: str
    invitee: str


class Outbound(BaseModel):
    """One event to put on the bus: its detail-type, detail and the consumer's dedupe key."""

    model_config = ConfigDict(frozen=True)

    detail_type: Literal[
        "ledger.entry.committed",
        "reminder.due",
        "game.result",
        "story.choice",
        "challenge.completed",
        "invite.qualified",
    ]
    dedupe_id: str
    detail: EntryCommitted | ReminderDue | GameResult | StoryChoice | ChallengeCompleted | InviteQualified


def asset_of(account: str) -> str:
    """``user:u1/wallet/CNY`` -> ``CNY`` (an account's last segment is its asset)."""
    return account.rsplit("/", 1)[-1]


def netted_postings(raw: list[Mapping[str, Any]]) -> list[Posting]:
    """The entry's postings netted per account (a sharded account may have several shard lines)."""
    per_account: dict[str, int] = defaultdict(int)
    for line in raw:
        per_account[str(line["account"])] += int(line["delta"])
    postings = [Posting(account=a, delta=d) for a, d in sorted(per_account.items()) if d]
    per_asset: dict[str, int] = defaultdict(int)
    for posting in postings:
        per_asset[asset_of(posting.account)] += posting.delta
    assert all(total == 0 for total in per_asset.values()), f"unbalanced entry postings {per_asset}"
    return postings


def entry_committed(image: Image) -> Outbound:
    detail = EntryCommitted(
        entry_id=str(image["entry_id"]),
        kind=str(image["kind"]),
        state=str(image.get("state") or "posted"),
        postings=netted_postings(list(image.get("postings") or [])),
        created_at=str(image["created_at"]),
    )
    return Outbound(detail_type=ENTRY_COMMITTED, dedupe_id=detail.entry_id, detail=detail)


def json_map(value: Any) -> dict[str, Any]:
    """A JSON attribute (PynamoDB stores it as a string) as a dict."""
    loaded = json.loads(value) if isinstance(value, str) else value
    return dict(loaded or {})


def reminder_due(image: Image) -> Outbound:
    detail = ReminderDue(
        reminder_id=str(image["reminder_id"]),
        user_id=public_user_id(str(image["user_id"])),  # as the user's token names them
        reminder=str(image["reminder"]),
        subject=str(image["subject"]),
        due_at=str(image["due_at"]),
        sent_at=str(image["sent_at"]),
        data=json_map(image.get("data")),
    )
    return Outbound(detail_type=REMINDER_DUE, dedupe_id=detail.reminder_id, detail=detail)


def challenge_completed(image: Image) -> Outbound:
    metadata = json_map(image.get("metadata"))
    detail = ChallengeCompleted(
        entry_id=str(image["entry_id"]),
        challenge_id=str(metadata["challenge_id"]),
        user_id=str(metadata["user_id"]),
    )
    return Outbound(detail_type=CHALLENGE_COMPLETED, dedupe_id=detail.entry_id, detail=detail)


def invite_qualified(image: Image) -> Outbound:
    metadata = json_map(image.get("metadata"))
    detail = InviteQualified(
        entry_id=str(image["entry_id"]), user_id=str(metadata["user_id"]), invitee=str(metadata["invitee"])
    )
    return Outbound(detail_type=INVITE_QUALIFIED, dedupe_id=detail.entry_id, detail=detail)


#: entries whose commit is also a domain event (kind -> how the event is read from the header)
ENTRY_EVENTS = {CHALLENGE_COMPLETED: challenge_completed, INVITE_QUALIFIED: invite_qualified}


def from_change(event_name: str, keys: Image, old: Image | None, new: Image | None) -> list[Outbound]:
    """The events one stream record of the ledger table gives (most records give none)."""
    pk, sk = str(keys.get("pk", "")), str(keys.get("sk", ""))
    if event_name == "INSERT" and sk == "ENTRY" and pk.startswith("ENTRY#") and new is not None:
        also = ENTRY_EVENTS.get(str(new.get("kind")))  # a trigger of campaigns, besides the entry
        return [entry_committed(new), *([also(new)] if also else [])]
    turned_sent = new is not None and new.get("state") == "sent" and (old or {}).get("state") != "sent"
    if pk.startswith("REMINDER#") and turned_sent and new is not None:
        return [reminder_due(new)]
    return []

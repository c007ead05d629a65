"""Scripted savings: short stories whose choices set the user's own money aside in the savings purse.

Rules (see ``docs/savings.md``):

* The catalog is data (``data/stories.toml``), validated at load; a malformed story fails with a message
  naming the story, chapter and choice.
* A choice is **one** ledger entry ``user:<u>/wallet/CNY -> user:<u>/purse/CNY`` whose transaction also
  carries the progress guard (the user is at that chapter, then advance) and the user's summary update
  (totals, the local days with a saving for the streak). No read before the write: a stale, repeated or
  racing choice can never move money twice, and a choice costs one DynamoDB round trip.
* A purse release moves purse -> wallet; the ledger's non-negative policy on user accounts refuses an
  overdraft atomically.

Items (ledger table, one partition per user so every read is one ``Query``):

* progress ``pk=SAVINGS#<user>`` ``sk=STORY#<story_id>``: ``chapter`` (the chapter the user is at; past
  the last one once completed), ``saved``, ``picks`` (choice ids in order), ``completed_at``
* summary  ``pk=SAVINGS#<user>`` ``sk=SUMMARY``: ``saved``, ``choices``, ``stories_completed`` and
  ``save_days`` (the set of local days with a saving, from which the streak is derived at read)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any

from pydantic import Field, StrictInt, ValidationError, model_validator
from pynamodb.attributes import ListAttribute, NumberAttribute, UnicodeAttribute, UnicodeSetAttribute
from pynamodb.models import Model

from reward_ledger import clock
from reward_ledger.config import StrictModel, load_data
from reward_ledger.errors import ChapterMismatch, LedgerError, NotFound, ValidationFailed
from reward_ledger.ledger import (
    Account,
    EntryRequest,
    EntryResult,
    Guard,
    IdempotencyKey,
    Ledger,
    Leg,
    register_model,
    unconditional,
    user_account,
)
from reward_ledger.ledger.models import LedgerTableMeta

ASSET = "CNY"
ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,47}$"

# ------------------------------------------------------------------ catalog (data/stories.toml)


class Choice(StrictModel):
    choice_id: str = Field(pattern=ID_PATTERN)
    label: str = Field(min_length=1, max_length=120)
    label_zh: str = Field(min_length=1, max_length=120)
    amount: StrictInt = Field(gt=0, description="fen set aside when this choice is made")


class Chapter(StrictModel):
    title: str = Field(min_length=1, max_length=120)
    title_zh: str = Field(min_length=1, max_length=120)
    text: str = ""
    text_zh: str = ""
    choices: list[Choice] = Field(min_length=1, max_length=8)

    @model_validator(mode="after")
    def _unique_choices(self) -> Chapter:
        seen: set[str] = set()
        for choice in self.choices:
            if choice.choice_id in seen:
                raise ValueError(f"choice id {choice.choice_id!r} appears twice")
            seen.add(choice.choice_id)
        return self


class Story(StrictModel):
    story_id: str = Field(pattern=ID_PATTERN)
    title: str = Field(min_length=1, max_length=120)
    title_zh: str = Field(min_length=1, max_length=120)
    genre: str = Field(min_length=1, max_length=40)
    next_story: str | None = None
    chapters: list[Chapter] = Field(min_length=1, max_length=50)

    def chapter(self, number: int) -> Chapter | None:
        return self.chapters[number - 1] if 1 <= number <= len(self.chapters) else None


class Catalog(StrictModel):
    max_choice_amount: StrictInt = Field(gt=0)
    stories: dict[str, Story]

    def story(self, story_id: str) -> Story:
        found = self.stories.get(story_id)
        if found is None:
            raise NotFound(f"no story {story_id!r}")
        return found


class CatalogError(ValueError):
    """A malformed ``data/stories.toml``: the message names the story, chapter and choice at fault."""


def _where(story: Mapping[str, Any], loc: Iterable[Any]) -> str:
    """``('chapters', 2, 'choices', 0, 'amount')`` -> ``chapter 3, choice 'roses', amount``."""
    parts: list[str] = []
    node: Any = story
    path = list(loc)
    i = 0
    while i < len(path):
        key = path[i]
        if key in ("chapters", "choices") and i + 1 < len(path) and isinstance(path[i + 1], int):
            index = path[i + 1]
            items = node.get(key) if isinstance(node, Mapping) else None
            node = items[index] if isinstance(items, list) and index < len(items) else {}
            if key == "chapters":
                parts.append(f"chapter {index + 1}")
            else:
                cid = node.get("choice_id") if isinstance(node, Mapping) else None
                parts.append(f"choice {cid!r}" if isinstance(cid, str) else f"choice #{index + 1}")
            i += 2
            continue
        parts.append(str(key))
        node = node.get(key) if isinstance(node, Mapping) else None
        i += 1
    return ", ".join(parts)


def parse_catalog(raw: Mapping[str, Any], source: str = "data/stories.toml") -> Catalog:
    """Validate a catalog; every problem of every story is listed, each named by story/chapter/choice."""
    problems: list[str] = []
    max_amount = raw.get("max_choice_amount")
    if type(max_amount) is not int or max_amount <= 0:
        problems.append("max_choice_amount: must be a positive integer of fen")
        max_amount = None
    unknown = set(raw) - {"max_choice_amount", "stories"}
    if unknown:
        problems.append(f"unknown top-level keys: {', '.join(sorted(unknown))}")
    raw_stories = raw.get("stories")
    if not isinstance(raw_stories, list) or not raw_stories:
        problems.append("stories: at least one [[stories]] table is required")
        raw_stories = []
    stories: dict[str, Story] = {}
    for index, entry in enumerate(raw_stories):
        sid = entry.get("story_id") if isinstance(entry, Mapping) else None
        name = f"story {sid!r}" if isinstance(sid, str) else f"story #{index + 1}"
        if not isinstance(entry, Mapping):
            problems.append(f"{name}: must be a table")
            continue
        try:
            story = Story.model_validate(entry)
        except ValidationError as exc:
            for error in exc.errors():
                problems.append(f"{name}, {_where(entry, error['loc'])}: {error['msg']}")
            continue
        if story.story_id in stories:
            problems.append(f"{name}: story_id appears twice")
            continue
        for number, chapter in enumerate(story.chapters, start=1):
            for choice in chapter.choices:
                if max_amount is not None and choice.amount > max_amount:
                    problems.append(
                        f"{name}, chapter {number}, choice {choice.choice_id!r}, amount: "
                        f"{choice.amount} is over max_choice_amount {max_amount}"
                    )
        stories[story.story_id] = story
    for story in stories.values():
        if story.next_story is not None and story.next_story not in stories:
            problems.append(f"story {story.story_id!r}, next_story: no story {story.next_story!r}")
        if story.next_story == story.story_id:
            problems.append(f"story {story.story_id!r}, next_story: a story cannot lead to itself")
    if problems:
        raise CatalogError(f"invalid {source}:\n  - " + "\n  - ".join(problems))
    assert max_amount is not None
    return Catalog(max_choice_amount=max_amount, stories=stories)


@cache
def catalog() -> Catalog:
    return parse_catalog(load_data("stories"))


# ------------------------------------------------------------------ state items


@register_model
class SavingsItem(Model):
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
    return user_account(user_id, "wallet", ASSET)


def purse(user_id: str) -> Account:
    return user_account(user_id, "purse", ASSET)


# ------------------------------------------------------------------ writes


def _old_chapter(old: Mapping[str, Any] | None) -> int:
    raw = ((old or {}).get("chapter") or {}).get("N")
    return int(raw) if raw is not None else 1


def choose(
    ledger: Ledger,
    user_id: str,
    story_id: str,
    chapter: int,
    choice_id: str,
    idem: IdempotencyKey,
    *,
    tz: str | None = None,
) -> EntryResult:
    """Make ``choice_id`` in ``chapter``: wallet -> purse and advance the progress, in one transaction.

    Raises :class:`ChapterMismatch` when the user is not at ``chapter`` (stale, repeated with a new key,
    or lost a race), ``InsufficientFunds`` when the wallet cannot cover the amount (nothing moves).
    """
    story = catalog().story(story_id)
    scene = story.chapter(chapter)
    if scene is None:
        raise ValidationFailed(f"story {story_id} has chapters 1..{len(story.chapters)}, not {chapter}")
    choice = next((c for c in scene.choices if c.choice_id == choice_id), None)
    if choice is None:
        offered = ", ".join(c.choice_id for c in scene.choices)
        raise ValidationFailed(f"chapter {chapter} of {story_id} offers {offered}; not {choice_id!r}")

    now = clock.now()
    stamp = clock.iso(now)
    day = clock.local_day(now, tz).isoformat()
    count = len(story.chapters)
    last = chapter == count

    def mismatch(old: Mapping[str, Any] | None) -> LedgerError:
        at = _old_chapter(old)
        if at > count:
            return ChapterMismatch(f"story {story_id} is already completed; chapter {chapter} was refused")
        return ChapterMismatch(f"you are at chapter {at} of {story_id}, not chapter {chapter}")

    at_chapter = SavingsItem.chapter == chapter
    if chapter == 1:
        at_chapter = SavingsItem.chapter.does_not_exist() | at_chapter
    progress_actions = [
        SavingsItem.chapter.set(chapter + 1),
        SavingsItem.user_id.set(user_id),
        SavingsItem.story_id.set(story_id),
        SavingsItem.saved.add(choice.amount),
        SavingsItem.picks.set((SavingsItem.picks | []).append([choice_id])),
        SavingsItem.started_at.set(SavingsItem.started_at | stamp),
        SavingsItem.updated_at.set(stamp),
    ]
    summary_actions = [
        SavingsItem.user_id.set(user_id),
        SavingsItem.saved.add(choice.amount),
        SavingsItem.choices.add(1),
        SavingsItem.save_days.add({day}),
        SavingsItem.updated_at.set(stamp),
    ]
    if last:
        progress_actions.append(SavingsItem.completed_at.set(stamp))
        summary_actions.append(SavingsItem.stories_completed.add(1))

    response: dict[str, Any] = {
        "entry_id": idem.entry_id,
        "story_id": story_id,
        "choice_id": choice_id,
        "amount": choice.amount,
        "progress": {"chapter": chapter + 1, "completed": last},
    }
    if last:
        response["next_story"] = _story_ref(story.next_story)
    return ledger.transfer(
        EntryRequest(
            idempotency=idem,
            kind="savings.choice",
            legs=[Leg(wallet(user_id), purse(user_id), choice.amount)],
            guards=[
                Guard.update(
                    SavingsItem(pk=user_pk(user_id), sk=story_sk(story_id)),
                    progress_actions,
                    at_chapter,
                    mismatch,
                ),
                Guard.update(
                    SavingsItem(pk=user_pk(user_id), sk=SUMMARY_SK),
                    summary_actions,
                    None,
                    unconditional,
                ),
            ],
            metadata={"story_id": story_id, "chapter": chapter, "choice_id": choice_id, "day": day},
            response=response,
        )
    )


def release(ledger: Ledger, user_id: str, amount: int, idem: IdempotencyKey) -> EntryResult:
    """Purse -> wallet, partial or whole; ``InsufficientFunds`` rather than a negative purse."""
    return ledger.transfer(
        EntryRequest(
            idempotency=idem,
            kind="savings.release",
            legs=[Leg(purse(user_id), wallet(user_id), amount)],
            metadata={"user_id": user_id},
            response={"entry_id": idem.entry_id, "amount": amount},
        )
    )


# ------------------------------------------------------------------ reads


def streak(days: Iterable[str], today: date) -> int:
    """Consecutive local days with a saving ending today, or yesterday (today may still come)."""
    found = set(days)
    day = today if today.isoformat() in found else today - timedelta(days=1)
    length = 0
    while day.isoformat() in found:
        length += 1
        day -= timedelta(days=1)
    return length


def best_streak(days: Iterable[str]) -> int:
    ordered = sorted(date.fromisoformat(d) for d in set(days))
    best = run = 0
    previous: date | None = None
    for day in ordered:
        run = run + 1 if previous is not None and day - previous == timedelta(days=1) else 1
        best = max(best, run)
        previous = day
    return best


@dataclass(frozen=True, slots=True)
class UserState:
    progress: dict[str, SavingsItem]
    summary: SavingsItem | None


def user_state(user_id: str) -> UserState:
    """Every savings item of the user: one Query on their partition (stories + 1 items)."""
    progress: dict[str, SavingsItem] = {}
    summary: SavingsItem | None = None
    for item in SavingsItem.query(user_pk(user_id), consistent_read=True):
        if item.sk == SUMMARY_SK:
            summary = item
        elif item.story_id:
            progress[item.story_id] = item
    return UserState(progress, summary)


def _progress_view(story: Story, item: SavingsItem | None) -> dict[str, Any]:
    at = int(item.chapter) if item is not None and item.chapter is not None else 1
    return {
        "chapter": at,
        "completed": at > len(story.chapters),
        "saved": int(item.saved or 0) if item is not None else 0,
    }


def _story_ref(story_id: str | None) -> dict[str, Any] | None:
    if story_id is None:
        return None
    story = catalog().stories[story_id]
    return {"story_id": story.story_id, "title": story.title, "title_zh": story.title_zh}


def stories_view(user_id: str) -> list[dict[str, Any]]:
    state = user_state(user_id)
    return [
        {
            "story_id": story.story_id,
            "title": story.title,
            "title_zh": story.title_zh,
            "genre": story.genre,
            "chapters": len(story.chapters),
            "progress": _progress_view(story, state.progress.get(story.story_id)),
        }
        for story in catalog().stories.values()
    ]


def summary_view(state: UserState, now: datetime, tz: str | None) -> dict[str, Any]:
    summary = state.summary
    days = set(summary.save_days or ()) if summary is not None else set()
    return {
        "total_saved": int(summary.saved or 0) if summary is not None else 0,
        "saved_per_story": {sid: int(item.saved or 0) for sid, item in sorted(state.progress.items())},
        "stories_completed": int(summary.stories_completed or 0) if summary is not None else 0,
        "streak_days": streak(days, clock.local_day(now, tz)),
        "best_streak_days": best_streak(days),
        "last_saving_day": max(days) if days else None,
    }


def story_view(user_id: str, story_id: str, *, tz: str | None = None) -> dict[str, Any]:
    story = catalog().story(story_id)
    state = user_state(user_id)
    item = state.progress.get(story_id)
    progress = _progress_view(story, item)
    picks = list(item.picks or []) if item is not None else []
    chapters = [
        {
            "chapter": number,
            "title": chapter.title,
            "title_zh": chapter.title_zh,
            "text": chapter.text,
            "text_zh": chapter.text_zh,
            "unlocked": number <= progress["chapter"],
            "chosen": picks[number - 1] if number <= len(picks) else None,
            "choices": [
                {"choice_id": c.choice_id, "label": c.label, "label_zh": c.label_zh, "amount": c.amount}
                for c in chapter.choices
            ],
        }
        for number, chapter in enumerate(story.chapters, start=1)
    ]
    return {
        "story_id": story.story_id,
        "title": story.title,
        "title_zh": story.title_zh,
        "genre": story.genre,
        "chapters": chapters,
        "progress": progress,
        "next_story": _story_ref(story.next_story) if progress["completed"] else None,
        "summary": summary_view(state, clock.now(), tz),
    }

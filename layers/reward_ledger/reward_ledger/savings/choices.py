"""A story's choice (wallet -> purse, with the progress guard) and a purse release (purse -> wallet)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reward_ledger import clock
from reward_ledger.errors import ChapterMismatch, LedgerError, ValidationFailed
from reward_ledger.ledger import EntryRequest, EntryResult, Guard, IdempotencyKey, Ledger, Leg, unconditional
from reward_ledger.savings.items import SUMMARY_SK, SavingsItem, purse, story_sk, user_pk, wallet
from reward_ledger.savings.stories import catalog, story_ref


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
        response["next_story"] = story_ref(story.next_story)
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
            metadata={
                "user_id": user_id,
                "story_id": story_id,
                "chapter": chapter,
                "choice_id": choice_id,
                "day": day,
            },
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

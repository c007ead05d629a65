"""What the savings show: the stories with the user's progress, one story, and the summary."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from reward_ledger import clock
from reward_ledger.savings.items import SUMMARY_SK, SavingsItem, user_pk
from reward_ledger.savings.stories import Story, catalog, story_ref
from reward_ledger.streaks import best_streak, streak


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
        "next_story": story_ref(story.next_story) if progress["completed"] else None,
        "summary": summary_view(state, clock.now(), tz),
    }

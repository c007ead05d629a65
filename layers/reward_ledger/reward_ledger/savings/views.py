"""What the savings show: the stories with the user's progress, one story, and the summary."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydantic import Field

from reward_ledger import clock
from reward_ledger.replies import Reply
from reward_ledger.savings.items import SUMMARY_SK, SavingsItem, user_pk
from reward_ledger.savings.stories import Story, catalog, story_ref
from reward_ledger.streaks import best_streak, streak


class Progress(Reply):
    chapter: int = Field(description="the chapter to play next (chapters + 1 once completed)", examples=[2])
    completed: bool = Field(description="every chapter was played")
    saved: int | None = Field(default=None, description="fen this story moved to the purse", examples=[1990])


class StoryRef(Reply):
    story_id: str = Field(examples=["first-date"])
    title: str = Field(examples=["First date"])
    title_zh: str = Field(examples=["第一次约会"])


class StorySummary(StoryRef):
    genre: str = Field(examples=["romance"])
    chapters: int = Field(description="number of chapters", examples=[3])
    progress: Progress


class ChoiceView(Reply):
    choice_id: str = Field(examples=["flowers"])
    label: str = Field(examples=["Bring flowers"])
    label_zh: str = Field(examples=["带花"])
    amount: int = Field(description="fen this choice moves from the wallet to the purse", examples=[1990])


class ChapterView(Reply):
    chapter: int = Field(description="1-based chapter number", examples=[1])
    title: str
    title_zh: str
    text: str
    text_zh: str
    unlocked: bool = Field(description="the caller reached this chapter")
    chosen: str | None = Field(description="the choice_id the caller took here, if any")
    choices: list[ChoiceView]


class SavingsSummary(Reply):
    total_saved: int = Field(description="fen saved over all stories", examples=[1990])
    saved_per_story: dict[str, int] = Field(description="story_id -> fen saved")
    stories_completed: int
    streak_days: int = Field(description="consecutive local days with a saving, up to today")
    best_streak_days: int
    last_saving_day: str | None = Field(description="local day YYYY-MM-DD of the last saving")


class StoryView(StoryRef):
    """A story's chapters and choices, the caller's progress and savings summary."""

    genre: str
    chapters: list[ChapterView]
    progress: Progress
    next_story: StoryRef | None = Field(description="the story to read next, once this one is completed")
    summary: SavingsSummary


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


def _progress_view(story: Story, item: SavingsItem | None) -> Progress:
    at = int(item.chapter) if item is not None and item.chapter is not None else 1
    saved = int(item.saved or 0) if item is not None else 0
    return Progress(chapter=at, completed=at > len(story.chapters), saved=saved)


def stories_view(user_id: str) -> list[StorySummary]:
    state = user_state(user_id)
    return [
        StorySummary.model_validate(
            {
                "story_id": story.story_id,
                "title": story.title,
                "title_zh": story.title_zh,
                "genre": story.genre,
                "chapters": len(story.chapters),
                "progress": _progress_view(story, state.progress.get(story.story_id)),
            }
        )
        for story in catalog().stories.values()
    ]


def summary_view(state: UserState, now: datetime, tz: str | None) -> SavingsSummary:
    summary = state.summary
    days = set(summary.save_days or ()) if summary is not None else set()
    return SavingsSummary.model_validate(
        {
            "total_saved": int(summary.saved or 0) if summary is not None else 0,
            "saved_per_story": {sid: int(item.saved or 0) for sid, item in sorted(state.progress.items())},
            "stories_completed": int(summary.stories_completed or 0) if summary is not None else 0,
            "streak_days": streak(days, clock.local_day(now, tz)),
            "best_streak_days": best_streak(days),
            "last_saving_day": max(days) if days else None,
        }
    )


def story_view(user_id: str, story_id: str, *, tz: str | None = None) -> StoryView:
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
            "unlocked": number <= progress.chapter,
            "chosen": picks[number - 1] if number <= len(picks) else None,
            "choices": [
                {"choice_id": c.choice_id, "label": c.label, "label_zh": c.label_zh, "amount": c.amount}
                for c in chapter.choices
            ],
        }
        for number, chapter in enumerate(story.chapters, start=1)
    ]
    return StoryView.model_validate(
        {
            "story_id": story.story_id,
            "title": story.title,
            "title_zh": story.title_zh,
            "genre": story.genre,
            "chapters": chapters,
            "progress": progress,
            "next_story": story_ref(story.next_story) if progress.completed else None,
            "summary": summary_view(state, clock.now(), tz),
        }
    )

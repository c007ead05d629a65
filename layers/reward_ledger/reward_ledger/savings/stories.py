"""The story catalog (``data/stories.toml``), validated at load; a malformed story fails with a message
naming the story, chapter and choice."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any

from pydantic import Field, StrictInt, ValidationError, model_validator

from reward_ledger.config import StrictModel, load_data
from reward_ledger.errors import NotFound

ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,47}$"


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


def story_ref(story_id: str | None) -> dict[str, Any] | None:
    if story_id is None:
        return None
    story = catalog().stories[story_id]
    return {"story_id": story.story_id, "title": story.title, "title_zh": story.title_zh}

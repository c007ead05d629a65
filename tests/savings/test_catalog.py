"""The story catalog is data, validated at load: malformed stories fail with the story, chapter and choice
named. No AWS here."""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

import pytest

from reward_ledger.config import load_data
from reward_ledger.savings import CatalogError, best_streak, catalog, parse_catalog, streak


def test_the_shipped_catalog_has_three_stories_of_four_chapters_or_more() -> None:
    stories = catalog().stories.values()
    assert len([s for s in stories if len(s.chapters) >= 4]) >= 3
    for story in stories:
        assert story.title != story.title_zh
        for chapter in story.chapters:
            assert chapter.title_zh
            for choice in chapter.choices:
                assert choice.choice_id
                assert choice.label
                assert choice.label_zh
                assert type(choice.amount) is int
                assert 0 < choice.amount <= catalog().max_choice_amount


def test_next_stories_chain_through_the_catalog() -> None:
    stories = catalog().stories
    offered = [s.next_story for s in stories.values() if s.next_story is not None]
    assert offered
    assert all(next_id in stories for next_id in offered)


def good() -> dict[str, Any]:
    return copy.deepcopy(load_data("stories"))


def refused(raw: dict[str, Any]) -> str:
    with pytest.raises(CatalogError) as info:
        parse_catalog(raw)
    assert "invalid data/stories.toml" in str(info.value)
    return str(info.value)


def test_a_negative_or_fractional_amount_names_story_chapter_and_choice() -> None:
    raw = good()
    raw["stories"][0]["chapters"][2]["choices"][1]["amount"] = -5
    raw["stories"][1]["chapters"][0]["choices"][0]["amount"] = 1.5
    message = refused(raw)
    assert "story 'first-date', chapter 3, choice 'umbrella', amount" in message
    assert "story 'office-survival', chapter 1, choice 'lunchbox', amount" in message


def test_a_missing_label_or_chinese_title_is_named() -> None:
    raw = good()
    del raw["stories"][0]["chapters"][0]["choices"][0]["label"]
    del raw["stories"][2]["title_zh"]
    message = refused(raw)
    assert "story 'first-date', chapter 1, choice 'postcard', label: Field required" in message
    assert "story 'weekend-escape', title_zh: Field required" in message


def test_duplicate_choice_ids_within_a_chapter_are_refused() -> None:
    raw = good()
    choices = raw["stories"][0]["chapters"][1]["choices"]
    choices[1]["choice_id"] = choices[0]["choice_id"]
    assert "choice id 'noodles' appears twice" in refused(raw)


def test_duplicate_story_ids_unknown_next_story_and_unknown_keys_are_refused() -> None:
    raw = good()
    raw["stories"][1]["story_id"] = "first-date"
    raw["stories"][2]["next_story"] = "nowhere"
    raw["stories"][3]["chapters"][0]["choices"][0]["price"] = 3
    message = refused(raw)
    assert "story 'first-date': story_id appears twice" in message
    assert "story 'weekend-escape', next_story: no story 'nowhere'" in message
    assert "story 'big-city', chapter 1, choice 'shared', price: Extra inputs are not permitted" in message


def test_a_story_without_chapters_or_a_chapter_without_choices_is_refused() -> None:
    raw = good()
    raw["stories"][0]["chapters"] = []
    raw["stories"][1]["chapters"][3]["choices"] = []
    message = refused(raw)
    assert "story 'first-date', chapters:" in message
    assert "story 'office-survival', chapter 4, choices:" in message


def test_an_amount_over_the_cap_and_a_bad_cap_are_refused() -> None:
    raw = good()
    raw["stories"][0]["chapters"][0]["choices"][0]["amount"] = raw["max_choice_amount"] + 1
    assert "choice 'postcard', amount: 20001 is over max_choice_amount 20000" in refused(raw)
    raw = good()
    raw["max_choice_amount"] = "lots"
    assert "max_choice_amount: must be a positive integer" in refused(raw)


def test_an_empty_catalog_or_a_story_that_is_not_a_table_is_refused() -> None:
    assert "at least one [[stories]]" in refused({"max_choice_amount": 100})
    assert "story #1: must be a table" in refused({"max_choice_amount": 100, "stories": ["x"]})


@pytest.mark.parametrize(
    ("days", "today", "expected"),
    [
        ([], "2026-11-23", 0),
        (["2026-11-23"], "2026-11-23", 1),
        (["2026-11-21", "2026-11-22"], "2026-11-23", 2),  # today may still come: the streak holds
        (["2026-11-21", "2026-11-22", "2026-11-23"], "2026-11-23", 3),
        (["2026-11-20", "2026-11-21"], "2026-11-23", 0),  # yesterday was missed
        (["2026-11-19", "2026-11-21", "2026-11-22", "2026-11-23"], "2026-11-23", 3),
    ],
)
def test_streak_counts_consecutive_local_days_up_to_today(days: list[str], today: str, expected: int) -> None:
    assert streak(days, date.fromisoformat(today)) == expected


def test_best_streak_is_the_longest_run() -> None:
    assert best_streak([]) == 0
    assert best_streak(["2026-01-01", "2026-01-02", "2026-01-05", "2026-01-06", "2026-01-07"]) == 3

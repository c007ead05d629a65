"""Savings over HTTP: catalog, choices (wallet -> purse once), purse releases, summary and streak."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from reward_ledger import clock
from reward_ledger.ledger import Ledger, reconcile
from reward_ledger.savings import catalog
from tests.conftest import Api, fund
from tests.savings.conftest import SavingsApi, books


def test_catalog_lists_at_least_three_stories_of_four_chapters(savings_api: SavingsApi) -> None:
    status, body, _ = savings_api.call("GET", "/v1/stories")
    assert status == 200
    stories = body["stories"]
    assert len([s for s in stories if s["chapters"] >= 4]) >= 3
    for story in stories:
        assert story["title"]
        assert story["title_zh"]
        assert story["title"] != story["title_zh"]
        assert story["progress"] == {"chapter": 1, "completed": False, "saved": 0}


def test_a_story_shows_chapters_choices_and_progress(savings_api: SavingsApi) -> None:
    status, body, _ = savings_api.story("first-date")
    assert status == 200
    assert body["progress"] == {"chapter": 1, "completed": False, "saved": 0}
    first = body["chapters"][0]
    assert first["unlocked"] is True
    assert body["chapters"][1]["unlocked"] is False
    assert {
        "choice_id": "roses",
        "label": "Fifty-two red roses",
        "label_zh": "五十二朵红玫瑰",
        "amount": 5200,
    } in first["choices"]
    assert body["summary"]["streak_days"] == 0


@pytest.mark.parametrize(
    ("story", "expected"), [("no-such-story", (404, "not-found")), ("Bad Id!", (400, "validation-error"))]
)
def test_unknown_or_malformed_story_ids_are_problems(
    savings_api: SavingsApi, story: str, expected: tuple[int, str]
) -> None:
    status, body, headers = savings_api.story(story)
    assert (status, body["type"]) == expected
    assert headers["content-type"] == "application/problem+json"


def test_a_choice_moves_its_amount_from_wallet_to_purse_and_advances(
    savings_api: SavingsApi, ledger: Ledger, alice_funded: int
) -> None:
    status, body, headers = savings_api.choose("first-date", 1, "roses", "k1")
    assert status == 201, body
    assert body["amount"] == 5200
    assert body["progress"] == {"chapter": 2, "completed": False}
    assert body["entry_id"]
    assert "idempotent-replayed" not in headers
    assert books(ledger, "alice") == (alice_funded - 5200, 5200)
    _, story, _ = savings_api.story("first-date")
    assert story["progress"] == {"chapter": 2, "completed": False, "saved": 5200}
    assert story["chapters"][0]["chosen"] == "roses"
    assert story["chapters"][1]["unlocked"] is True
    assert reconcile().ok


def test_a_replay_returns_the_first_body_and_moves_nothing(
    savings_api: SavingsApi, ledger: Ledger, alice_funded: int
) -> None:
    status1, first, _ = savings_api.choose("first-date", 1, "flowers", "k1")
    savings_api.choose("first-date", 2, "noodles", "k2")
    status2, again, headers = savings_api.choose("first-date", 1, "flowers", "k1")
    assert (status1, status2) == (201, 201)
    assert again == first
    assert headers["idempotent-replayed"] == "true"
    assert books(ledger, "alice") == (alice_funded - 1990 - 2500, 1990 + 2500)


def test_the_same_key_with_another_body_is_an_idempotency_conflict(
    savings_api: SavingsApi, ledger: Ledger, alice_funded: int
) -> None:
    savings_api.choose("first-date", 1, "flowers", "k1")
    status, body, headers = savings_api.choose("first-date", 1, "roses", "k1")
    assert status == 409
    assert body["type"] == "idempotency-conflict"
    assert headers["content-type"] == "application/problem+json"
    status, body, _ = savings_api.choose("office-survival", 1, "canteen", "k1")  # other path, same key
    assert (status, body["type"]) == (409, "idempotency-conflict")
    assert books(ledger, "alice") == (alice_funded - 1990, 1990)


def test_keys_are_scoped_per_user(savings_api: SavingsApi, ledger: Ledger, alice_funded: int) -> None:
    fund("bob", 10_000, "fund-bob")
    assert savings_api.choose("first-date", 1, "flowers", "same")[0] == 201
    status, body, headers = savings_api.choose("first-date", 1, "flowers", "same", user="bob")
    assert status == 201
    assert body["amount"] == 1990
    assert "idempotent-replayed" not in headers
    assert books(ledger, "bob") == (10_000 - 1990, 1990)


def test_a_stale_or_skipped_chapter_is_a_chapter_mismatch_and_moves_nothing(
    savings_api: SavingsApi, ledger: Ledger, alice_funded: int
) -> None:
    savings_api.choose("first-date", 1, "postcard", "k1")
    status, body, _ = savings_api.choose("first-date", 1, "roses", "k2")  # stale: already past chapter 1
    assert status == 409
    assert body["type"] == "chapter-mismatch"
    assert "chapter 2" in body["detail"]
    status, body, _ = savings_api.choose("first-date", 3, "taxi", "k3")  # ahead of the story
    assert (status, body["type"]) == (409, "chapter-mismatch")
    status, body, _ = savings_api.choose("office-survival", 2, "instant", "k4")  # never started
    assert (status, body["type"]) == (409, "chapter-mismatch")
    assert "chapter 1" in body["detail"]
    assert books(ledger, "alice") == (alice_funded - 300, 300)
    assert reconcile().ok


def test_insufficient_funds_is_422_and_nothing_moves(savings_api: SavingsApi, ledger: Ledger) -> None:
    status, body, _ = savings_api.choose("first-date", 1, "postcard", "k0")  # never funded
    assert (status, body["type"]) == (422, "insufficient-funds")
    fund("alice", 1_000, "small")
    status, body, headers = savings_api.choose("first-date", 1, "roses", "k1")
    assert status == 422
    assert body["type"] == "insufficient-funds"
    assert headers["content-type"] == "application/problem+json"
    assert books(ledger, "alice") == (1_000, 0)
    _, story, _ = savings_api.story("first-date")
    assert story["progress"]["chapter"] == 1  # progress did not advance either
    assert story["summary"]["total_saved"] == 0
    status, body, _ = savings_api.choose("first-date", 1, "postcard", "k2")  # an affordable choice works
    assert status == 201
    assert books(ledger, "alice") == (700, 300)


PLAY = ["roses", "hotpot", "share", "cake", "round"]  # first-date, chapters 1..5
PLAY_AMOUNTS = [5200, 6800, 100, 1500, 5000]


def test_completing_a_story_records_the_total_and_offers_the_next(
    savings_api: SavingsApi, ledger: Ledger, alice_funded: int
) -> None:
    for number, choice in enumerate(PLAY, start=1):
        status, body, _ = savings_api.choose("first-date", number, choice, f"k{number}")
        assert status == 201, body
    assert body["progress"] == {"chapter": 6, "completed": True}
    assert body["next_story"] == {
        "story_id": "office-survival",
        "title": "Surviving the Office",
        "title_zh": "职场生存记",
    }
    total = sum(PLAY_AMOUNTS)
    _, story, _ = savings_api.story("first-date")
    assert story["progress"] == {"chapter": 6, "completed": True, "saved": total}
    assert [c["chosen"] for c in story["chapters"]] == PLAY
    assert story["next_story"]["story_id"] == "office-survival"
    assert story["summary"]["total_saved"] == total
    assert story["summary"]["saved_per_story"] == {"first-date": total}
    assert story["summary"]["stories_completed"] == 1
    status, problem, _ = savings_api.choose("first-date", 5, "snacks", "k-again")
    assert (status, problem["type"]) == (409, "chapter-mismatch")
    assert "completed" in problem["detail"]
    _, listing, _ = savings_api.call("GET", "/v1/stories")
    by_id = {s["story_id"]: s["progress"] for s in listing["stories"]}
    assert by_id["first-date"] == {"chapter": 6, "completed": True, "saved": total}
    assert books(ledger, "alice") == (alice_funded - total, total)


def test_summary_totals_per_story_and_streak_in_local_days(
    savings_api: SavingsApi, alice_funded: int
) -> None:
    ny = {"sub": "alice", "zoneinfo": "America/New_York"}
    # 23:30 on Nov 1 in New York is already Nov 2 in Shanghai: local days follow the caller's zone.
    clock.set_now(datetime(2026, 11, 2, 3, 30, tzinfo=UTC))
    savings_api.choose("first-date", 1, "postcard", "d1", claims=ny)
    clock.set_now(datetime(2026, 11, 2, 14, 0, tzinfo=UTC))  # Nov 2 in New York
    savings_api.choose("first-date", 2, "noodles", "d2a", claims=ny)
    savings_api.choose("office-survival", 1, "lunchbox", "d2b", claims=ny)  # same day twice: one day
    clock.set_now(datetime(2026, 11, 3, 15, 0, tzinfo=UTC))  # Nov 3
    savings_api.choose("first-date", 3, "share", "d3", claims=ny)
    _, story, _ = savings_api.story("first-date", claims=ny)
    summary = story["summary"]
    assert summary["streak_days"] == 3
    assert summary["best_streak_days"] == 3
    assert summary["last_saving_day"] == "2026-11-03"
    assert summary["saved_per_story"] == {"first-date": 300 + 2500 + 100, "office-survival": 200}
    assert summary["total_saved"] == 300 + 2500 + 100 + 200
    clock.set_now(datetime(2026, 11, 4, 20, 0, tzinfo=UTC))  # Nov 4: no saving yet, the streak holds
    assert savings_api.story("first-date", claims=ny)[1]["summary"]["streak_days"] == 3
    clock.set_now(datetime(2026, 11, 6, 20, 0, tzinfo=UTC))  # Nov 6: a day was missed
    assert savings_api.story("first-date", claims=ny)[1]["summary"]["streak_days"] == 0
    savings_api.choose("first-date", 4, "cake", "d6", claims=ny)
    summary = savings_api.story("first-date", claims=ny)[1]["summary"]
    assert (summary["streak_days"], summary["best_streak_days"]) == (1, 3)


def test_purse_releases_return_money_partially_or_whole_never_below_zero(
    savings_api: SavingsApi, ledger: Ledger, alice_funded: int
) -> None:
    savings_api.choose("first-date", 1, "roses", "c1")
    status, first, _ = savings_api.release(2000, "r1")
    assert status == 201
    assert first == {"entry_id": first["entry_id"], "amount": 2000}
    assert books(ledger, "alice") == (alice_funded - 3200, 3200)
    status, body, _ = savings_api.release(3201, "r2")
    assert (status, body["type"]) == (422, "insufficient-funds")
    assert books(ledger, "alice") == (alice_funded - 3200, 3200)
    status, again, headers = savings_api.release(2000, "r1")
    assert status == 201
    assert again == first
    assert headers["idempotent-replayed"] == "true"
    status, body, _ = savings_api.release(2500, "r1")
    assert (status, body["type"]) == (409, "idempotency-conflict")
    assert savings_api.release(3200, "r3")[0] == 201
    assert books(ledger, "alice") == (alice_funded, 0)
    assert reconcile().ok


def test_savings_entries_show_in_the_journal(savings_api: SavingsApi, alice_funded: int) -> None:
    savings_api.choose("first-date", 1, "roses", "c1")
    savings_api.release(200, "r1")
    _, page, _ = Api("AccountsFunction").call("GET", "/v1/me/journal", query={"book": "purse"})
    assert [(e["kind"], e["direction"], e["amount"]) for e in page["entries"]] == [
        ("savings.release", "debit", 200),
        ("savings.choice", "credit", 5200),
    ]


@pytest.mark.parametrize(
    "body",
    [
        {"chapter": 1.5, "choice_id": "roses"},
        {"chapter": "1", "choice_id": "roses"},
        {"chapter": 0, "choice_id": "roses"},
        {"chapter": 1},
        {"chapter": 1, "choice_id": "roses", "amount": 1},
        {"chapter": 1, "choice_id": "not-offered"},
        {"chapter": 9, "choice_id": "roses"},
        {"chapter": True, "choice_id": "roses"},
        "[]",
        "not json",
    ],
)
def test_bad_choice_bodies_are_400_and_move_nothing(
    savings_api: SavingsApi, ledger: Ledger, alice_funded: int, body: object
) -> None:
    status, problem, headers = savings_api.choose("first-date", 1, "roses", "k1", body=body)
    assert status == 400, problem
    assert problem["type"] == "validation-error"
    assert headers["content-type"] == "application/problem+json"
    assert books(ledger, "alice") == (alice_funded, 0)


@pytest.mark.parametrize("amount", [0, -5, 1.5, "100", None])
def test_bad_release_amounts_are_400(savings_api: SavingsApi, alice_funded: int, amount: object) -> None:
    status, problem, _ = savings_api.release(amount, "r1")
    assert (status, problem["type"]) == (400, "validation-error")


def test_missing_key_is_400_and_missing_token_is_401(savings_api: SavingsApi, alice_funded: int) -> None:
    status, problem, _ = savings_api.call(
        "POST",
        "/v1/stories/first-date/choices",
        route="/v1/stories/{story_id}/choices",
        path_parameters={"story_id": "first-date"},
        body={"chapter": 1, "choice_id": "roses"},
    )
    assert (status, problem["type"]) == (400, "validation-error")
    status, problem, _ = savings_api.choose("first-date", 1, "roses", "k1", user=None)  # type: ignore[arg-type]
    assert (status, problem["type"]) == (401, "unauthorized")
    status, problem, _ = savings_api.call("GET", "/v1/stories", user=None)
    assert (status, problem["type"]) == (401, "unauthorized")


def test_metrics_count_choices_amounts_and_rejections_by_reason(
    savings_api: SavingsApi, alice_funded: int, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    savings_api.choose("first-date", 1, "roses", "k1")
    savings_api.choose("first-date", 1, "roses", "k2")  # stale
    savings_api.choose("first-date", 1, "roses", "k3", user="bob")  # bob has no money
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    emf = [line for line in lines if "_aws" in line]
    values: dict[str, float] = {}
    reasons: list[str] = []
    for blob in emf:
        for definition in blob["_aws"]["CloudWatchMetrics"]:
            for metric in definition["Metrics"]:
                value = blob[metric["Name"]]
                values[metric["Name"]] = values.get(metric["Name"], 0) + (
                    sum(value) if isinstance(value, list) else value
                )
                if metric["Name"] == "SavingsRejections":
                    reasons.append(blob["reason"])
                    assert blob["service"] == "savings"
    assert values["SavingsChoices"] == 1
    assert values["SavedAmountFen"] == 5200
    assert values["SavingsRejections"] == 2
    assert sorted(reasons) == ["chapter-mismatch", "insufficient-funds"]


def test_every_shipped_story_can_be_played_to_the_end(savings_api: SavingsApi, ledger: Ledger) -> None:
    fund("carol", 10_000_000, "fund-carol")
    for story in catalog().stories.values():
        for number, chapter in enumerate(story.chapters, start=1):
            choice = chapter.choices[-1]
            status, body, _ = savings_api.choose(
                story.story_id, number, choice.choice_id, f"{story.story_id}-{number}", user="carol"
            )
            assert status == 201, body
        assert body["progress"]["completed"] is True
    _, listing, _ = savings_api.call("GET", "/v1/stories", user="carol")
    assert all(s["progress"]["completed"] for s in listing["stories"])
    assert reconcile().ok

"""Racing requests: many choices for one chapter move money once; racing releases never overdraw.

Each thread plays a separate Lambda invocation calling the domain directly (the in-process HTTP resolver
keeps the current request in a module global, as Lambda runs one request per environment at a time).
moto's in-process backend is not built for concurrent requests (unpatched, threads fail inside moto with
"dictionary changed size during iteration"), so each DynamoDB request is made atomic, as DynamoDB's are,
while the threads still interleave freely between requests: every thread builds its transaction without
reading, and the progress and balance conditions alone decide who wins.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from reward_ledger.errors import ChapterMismatch, InsufficientFunds, LedgerError
from reward_ledger.ledger import IdempotencyKey, Ledger, reconcile
from reward_ledger.savings import choose, release, user_state
from tests.conftest import SEED_ENTRIES, fund
from tests.savings.conftest import books

THREADS = 20


@pytest.fixture
def atomic_moto(ledger_table: str) -> None:
    """Each DynamoDB request atomic, as DynamoDB's are: :mod:`infra.moto_patches` (installed with the
    tables) runs every request under one lock and rolls a failed transaction back item by item."""
    from infra import moto_patches

    assert moto_patches._installed, "threaded tests need the serialisable moto patch"


def race(action: Callable[[int], Any]) -> list[Any]:
    """Run ``action(i)`` for i in 0..THREADS-1, all released at once; results or the errors raised."""
    barrier = threading.Barrier(THREADS)

    def run(i: int) -> Any:
        barrier.wait()
        try:
            return action(i)
        except LedgerError as exc:
            return exc

    with ThreadPoolExecutor(THREADS) as pool:
        return list(pool.map(run, range(THREADS)))


def choice_key(i: int, chapter: int = 1) -> IdempotencyKey:
    body = {"chapter": chapter, "choice_id": "flowers"}
    return IdempotencyKey(
        "user:alice|POST /v1/stories/{story_id}/choices",
        f"race-{chapter}-{i}",
        {"path": {"story_id": "first-date"}, "body": body},
    )


def test_twenty_racing_choices_for_one_chapter_move_money_exactly_once(
    atomic_moto: None, ledger: Ledger
) -> None:
    fund("alice", 100_000, "fund")
    results = race(lambda i: choose(ledger, "alice", "first-date", 1, "flowers", choice_key(i)))
    won = [r for r in results if not isinstance(r, Exception)]
    lost = [r for r in results if isinstance(r, Exception)]
    assert len(won) == 1
    assert len(lost) == THREADS - 1
    assert all(isinstance(r, ChapterMismatch) for r in lost), lost
    assert books(ledger, "alice") == (100_000 - 1990, 1990)
    state = user_state("alice")
    assert state.progress["first-date"].chapter == 2
    assert state.progress["first-date"].picks == ["flowers"]
    assert state.summary is not None
    assert state.summary.saved == 1990
    report = reconcile()
    assert report.ok
    assert report.entries == SEED_ENTRIES + 2  # the funding and the one choice


def test_racing_replays_of_one_choice_move_money_once_and_all_see_the_same_answer(
    atomic_moto: None, ledger: Ledger
) -> None:
    fund("alice", 100_000, "fund")
    results = race(lambda i: choose(ledger, "alice", "first-date", 1, "flowers", choice_key(0)))
    assert all(not isinstance(r, Exception) for r in results), results
    assert [r.replayed for r in results].count(False) == 1
    assert len({r.entry_id for r in results}) == 1
    assert books(ledger, "alice") == (100_000 - 1990, 1990)


def test_racing_releases_never_overdraw_the_purse(atomic_moto: None, ledger: Ledger) -> None:
    fund("alice", 100_000, "fund")
    choose(ledger, "alice", "first-date", 1, "roses", choice_key(99))  # purse: 5200
    results = race(
        lambda i: release(
            ledger, "alice", 700, IdempotencyKey("user:alice|release", f"r{i}", {"amount": 700})
        )
    )
    won = [r for r in results if not isinstance(r, Exception)]
    assert len(won) == 5200 // 700  # 7 releases fit, 13 are refused
    assert all(isinstance(r, InsufficientFunds) for r in results if isinstance(r, Exception))
    wallet, purse = books(ledger, "alice")
    assert purse == 5200 - 7 * 700
    assert wallet + purse == 100_000
    assert reconcile().ok

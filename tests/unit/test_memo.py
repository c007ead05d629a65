"""The memo's bound: a warm environment serving many users keeps at most a fixed number of hints."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from reward_ledger.ledger.memo import MAX_ENTRIES, Memo

NOW = datetime(2026, 12, 2, tzinfo=UTC)


def test_the_oldest_hints_go_first_and_the_newest_stay() -> None:
    hints = Memo(max_entries=3)
    for key in "abcd":
        hints.keep("card", key, key.upper())
        hints.mark("sold-out", key, NOW + timedelta(hours=1))
    assert [hints.kept("card", key) for key in "abcd"] == [None, "B", "C", "D"]
    assert [hints.marked("sold-out", key, NOW) for key in "abcd"] == [False, True, True, True]
    hints.keep("card", "b", "B2")  # kept again: now the newest, so "c" is the next to go
    hints.keep("card", "e", "E")
    assert [hints.kept("card", key) for key in "bcde"] == ["B2", None, "D", "E"]
    assert len(hints) == 6


@given(
    limit=st.integers(min_value=1, max_value=8),
    keys=st.lists(st.integers(min_value=0, max_value=20), max_size=60),
)
def test_a_memo_never_holds_more_than_its_limit_and_always_the_last_value(
    limit: int, keys: list[int]
) -> None:
    hints = Memo(max_entries=limit)
    for position, key in enumerate(keys):
        hints.keep("user", str(key), position)
        assert hints.kept("user", str(key)) == position
        assert len(hints) <= limit
    distinct_recent = list(dict.fromkeys(reversed([str(k) for k in keys])))[:limit]
    assert all(hints.kept("user", key) is not None for key in distinct_recent)


def test_the_default_bound_is_the_named_limit() -> None:
    hints = Memo()
    for key in range(MAX_ENTRIES + 5):
        hints.keep("card", str(key), key)
    assert len(hints) == MAX_ENTRIES
    assert hints.kept("card", "4") is None and hints.kept("card", str(MAX_ENTRIES + 4)) == MAX_ENTRIES + 4

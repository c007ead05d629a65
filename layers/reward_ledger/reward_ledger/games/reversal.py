"""Reversal hook of ``games.result`` (the games feature's answer to an operator's reversal).

The amount granted goes back off the day's cap counter, in the reversal's own transaction, so the user
may earn it again that day. The played time stays (it was played: the responsible-play reminder counts
it) and the session stays closed (a result is never submitted twice). A result written before entries
recorded their local day cannot find its counter and is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reward_ledger.errors import LedgerError, NotReversible
from reward_ledger.games.rewards import DailyPlay
from reward_ledger.ledger import Guard
from reward_ledger.ledger.models import EntryItem


def undo_result(entry: EntryItem) -> list[Guard]:
    meta = dict(entry.metadata or {})
    day, user_id, granted = meta.get("day"), str(meta["user_id"]), int(meta["granted"])
    if not isinstance(day, str) or not day:
        raise NotReversible(
            f"result {entry.entry_id} does not record its local day: its cap counter is unknown"
        )

    def counted_less(old: Mapping[str, Any] | None) -> LedgerError:
        earned = ((old or {}).get("earned") or {}).get("N", "0")
        return NotReversible(f"the day's counter holds {earned} fen, less than the {granted} to give back")

    return [
        Guard.update(
            DailyPlay(pk=f"GDAY#{user_id}", sk=day),
            [DailyPlay.earned.add(-granted)],
            DailyPlay.earned >= granted,
            counted_less,
        )
    ]

"""Reversal hook of ``savings.choice`` (the savings feature's answer to an operator's reversal).

The progress goes back to the choice's chapter and the user's totals lose its amount, in the reversal's
own transaction. Only a story's latest choice can be undone: the progress must still be right after it
with that choice as its last pick, else ``not-reversible`` (reverse the later choices first). The
``save_days`` set keeps the day: a streak is not taken back.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reward_ledger import clock
from reward_ledger.errors import LedgerError, NotReversible
from reward_ledger.ledger import Account, Guard, unconditional
from reward_ledger.ledger.models import EntryItem
from reward_ledger.savings.items import SUMMARY_SK, SavingsItem, story_sk, user_pk
from reward_ledger.savings.stories import catalog


def undo_choice(entry: EntryItem) -> list[Guard]:
    meta = dict(entry.metadata or {})
    story_id, chapter, choice_id = str(meta["story_id"]), int(meta["chapter"]), str(meta["choice_id"])
    user_id = Account.parse(str(entry.postings[0].account)).owner.removeprefix("user:")
    amount = sum(int(p.delta) for p in entry.postings if int(p.delta) > 0)
    last = chapter == len(catalog().story(story_id).chapters)
    stamp = clock.iso(clock.now())

    def moved_on(old: Mapping[str, Any] | None) -> LedgerError:
        at = ((old or {}).get("chapter") or {}).get("N", "?")
        return NotReversible(
            f"{story_id} is at chapter {at}, not right after this choice in chapter {chapter}: "
            "reverse the later choices first"
        )

    progress = [
        SavingsItem.chapter.set(chapter),
        SavingsItem.saved.add(-amount),
        SavingsItem.picks[chapter - 1].remove(),
        SavingsItem.updated_at.set(stamp),
    ]
    summary = [SavingsItem.saved.add(-amount), SavingsItem.choices.add(-1), SavingsItem.updated_at.set(stamp)]
    if last:
        progress.append(SavingsItem.completed_at.remove())
        summary.append(SavingsItem.stories_completed.add(-1))
    return [
        Guard.update(
            SavingsItem(pk=user_pk(user_id), sk=story_sk(story_id)),
            progress,
            (SavingsItem.chapter == chapter + 1) & (SavingsItem.picks[chapter - 1] == choice_id),
            moved_on,
        ),
        Guard.update(SavingsItem(pk=user_pk(user_id), sk=SUMMARY_SK), summary, None, unconditional),
    ]

"""Scripted savings: short stories whose choices set the user's own money aside in the savings purse.

Rules (see ``docs/savings.md``):

* The catalog is data (``data/stories.toml``), validated at load; a malformed story fails with a message
  naming the story, chapter and choice.
* A choice is **one** ledger entry ``user:<u>/wallet/CNY -> user:<u>/purse/CNY`` whose transaction also
  carries the progress guard (the user is at that chapter, then advance) and the user's summary update
  (totals, the local days with a saving for the streak). No read before the write: a stale, repeated or
  racing choice can never move money twice, and a choice costs one DynamoDB round trip.
* A purse release moves purse -> wallet; the ledger's non-negative policy on user accounts refuses an
  overdraft atomically.

Items (ledger table, one partition per user so every read is one ``Query``):

* progress ``pk=SAVINGS#<user>`` ``sk=STORY#<story_id>``: ``chapter`` (the chapter the user is at; past
  the last one once completed), ``saved``, ``picks`` (choice ids in order), ``completed_at``
* summary  ``pk=SAVINGS#<user>`` ``sk=SUMMARY``: ``saved``, ``choices``, ``stories_completed`` and
  ``save_days`` (the set of local days with a saving, from which the streak is derived at read)
"""

from reward_ledger.savings.choices import choose, release
from reward_ledger.savings.items import ASSET, SUMMARY_SK, SavingsItem, purse, story_sk, user_pk, wallet
from reward_ledger.savings.stories import (
    ID_PATTERN,
    Catalog,
    CatalogError,
    Chapter,
    Choice,
    Story,
    catalog,
    parse_catalog,
    story_ref,
)
from reward_ledger.savings.views import UserState, stories_view, story_view, summary_view, user_state
from reward_ledger.streaks import best_streak, streak

__all__ = [
    "ASSET",
    "ID_PATTERN",
    "SUMMARY_SK",
    "Catalog",
    "CatalogError",
    "Chapter",
    "Choice",
    "SavingsItem",
    "Story",
    "UserState",
    "best_streak",
    "catalog",
    "choose",
    "parse_catalog",
    "purse",
    "release",
    "stories_view",
    "story_ref",
    "story_sk",
    "story_view",
    "streak",
    "summary_view",
    "user_pk",
    "user_state",
    "wallet",
]

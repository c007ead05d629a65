"""Auditors and support: entries as stored, any account's journal and point-in-time balance, reversals.

The money rules live in the ledger core (``ledger/reversal.py``, ``ledger/journal.py``); this package
shapes what the operators' routes answer, so the handler stays thin.
"""

from reward_ledger.audit.views import (
    AccountBalance,
    AccountHistory,
    EntryView,
    account_balance,
    account_history,
    entry_view,
)

__all__ = [
    "AccountBalance",
    "AccountHistory",
    "EntryView",
    "account_balance",
    "account_history",
    "entry_view",
]

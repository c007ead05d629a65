"""Ledger core: accounts, entries, the one transfer primitive, two-phase entries, history, reconciliation."""

from reward_ledger.ledger.accounts import (
    Account,
    expired_account,
    external_account,
    hold_account,
    system_account,
    user_account,
)
from reward_ledger.ledger.core import (
    Ledger,
    ResolutionHook,
    balance_key,
    entry_key,
    response_code,
    shard_for,
)
from reward_ledger.ledger.entries import (
    EntryRequest,
    EntryResult,
    Expiry,
    Guard,
    IdempotencyKey,
    Leg,
    canonical_json,
    unconditional,
)
from reward_ledger.ledger.expiry import expiry_for
from reward_ledger.ledger.history import HistoryLine, account_history
from reward_ledger.ledger.memo import Memo
from reward_ledger.ledger.models import CORE_MODELS, bind_table
from reward_ledger.ledger.reconcile import ReconcileReport, reconcile

__all__ = [
    "CORE_MODELS",
    "Account",
    "EntryRequest",
    "EntryResult",
    "Expiry",
    "Guard",
    "HistoryLine",
    "IdempotencyKey",
    "Ledger",
    "Leg",
    "Memo",
    "ReconcileReport",
    "ResolutionHook",
    "account_history",
    "balance_key",
    "bind_table",
    "canonical_json",
    "entry_key",
    "expired_account",
    "expiry_for",
    "external_account",
    "hold_account",
    "reconcile",
    "response_code",
    "shard_for",
    "system_account",
    "unconditional",
    "user_account",
]

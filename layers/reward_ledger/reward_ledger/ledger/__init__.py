"""Ledger core: accounts, entries, the one transfer primitive, two-phase entries, history, reconciliation."""

from reward_ledger.ledger.accounts import (
    Account,
    expired_account,
    external_account,
    hold_account,
    system_account,
    user_account,
)
from reward_ledger.ledger.core import Ledger, balance_key, entry_key, on_resolve, response_code, shard_for
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
from reward_ledger.ledger.models import bind_table, register_model
from reward_ledger.ledger.reconcile import ReconcileReport, reconcile

__all__ = [
    "Account",
    "EntryRequest",
    "EntryResult",
    "Expiry",
    "Guard",
    "HistoryLine",
    "IdempotencyKey",
    "Ledger",
    "Leg",
    "ReconcileReport",
    "account_history",
    "balance_key",
    "bind_table",
    "canonical_json",
    "entry_key",
    "expired_account",
    "expiry_for",
    "external_account",
    "hold_account",
    "on_resolve",
    "reconcile",
    "register_model",
    "response_code",
    "shard_for",
    "system_account",
    "unconditional",
    "user_account",
]

"""Seed donations to pooled charity projects (the charity feature's own entry and target guard)."""

from __future__ import annotations

from reward_ledger import charity
from reward_ledger.ledger import EntryResult, IdempotencyKey, Ledger
from reward_ledger.seeds.config import SEED


def donate_seeds(
    ledger: Ledger, user_id: str, project_id: str, seeds: int, idem: IdempotencyKey
) -> EntryResult:
    """Seeds -> a pooled charity project, never past its target (refused with the remaining amount)."""
    return charity.donate(ledger, user_id, project_id, SEED, seeds, idem)

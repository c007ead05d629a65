"""Reconciliation: prove the books balance.

Two independent facts are checked from a full scan (a scheduled job, not a request path):
each asset's balances sum to zero (double entry), and every balance shard equals the sum of the journal
postings that touched it (nothing moved outside an entry). The comparison runs over the UNION of the
journaled shards and the stored balance items, and a stored item is identified by its key (not by the
attributes an entry writes), so a balance written outside any entry, on an account no entry ever
touched, is a finding even when such writes net to zero. It also lists non-negative accounts that went
below zero. Any finding is reported by account so an operator can act on it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from reward_ledger.ledger.accounts import Account
from reward_ledger.ledger.models import BalanceItem, EntryItem

UNPARSED_ASSET = "?"


@dataclass(slots=True)
class ReconcileReport:
    asset_totals: dict[str, int] = field(default_factory=dict)
    mismatches: list[dict[str, Any]] = field(default_factory=list)
    negatives: list[dict[str, Any]] = field(default_factory=list)
    entries: int = 0
    balances: int = 0

    @property
    def ok(self) -> bool:
        return not self.mismatches and not self.negatives and not any(self.asset_totals.values())

    @property
    def findings(self) -> int:
        return len(self.mismatches) + len(self.negatives) + sum(1 for t in self.asset_totals.values() if t)

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "findings": self.findings,
            "asset_totals": self.asset_totals,
            "mismatches": self.mismatches,
            "negatives": self.negatives,
            "entries": self.entries,
            "balances": self.balances,
        }


def _shard_of(item: BalanceItem) -> tuple[str, int]:
    """(account, shard) from the item's key ``BAL#<account>#<shard>``, whatever attributes it carries."""
    account, _, shard = str(item.pk).removeprefix("BAL#").rpartition("#")
    if account and shard.isdigit():
        return account, int(shard)
    return str(item.pk), 0


def _asset(account: str) -> str:
    try:
        return Account.parse(account).asset
    except ValueError:
        return UNPARSED_ASSET


def _may_go_negative(account: str) -> bool:
    try:
        return Account.parse(account).policy.may_go_negative
    except ValueError:
        return False


def reconcile() -> ReconcileReport:
    report = ReconcileReport()
    journal: dict[tuple[str, int], int] = defaultdict(int)
    for entry in EntryItem.scan(EntryItem.sk == "ENTRY"):
        report.entries += 1
        for posting in entry.postings:
            journal[(str(posting.account), int(posting.shard))] += int(posting.delta)
    stored: dict[tuple[str, int], int] = {}
    totals: dict[str, int] = defaultdict(int)
    per_account: dict[str, int] = defaultdict(int)
    for item in BalanceItem.scan(BalanceItem.sk == "BAL"):
        report.balances += 1
        key = _shard_of(item)
        stored[key] = int(item.balance)
        totals[_asset(key[0])] += int(item.balance)
        per_account[key[0]] += int(item.balance)
    for key in sorted(set(journal) | set(stored)):
        if journal.get(key, 0) != stored.get(key, 0):
            report.mismatches.append(
                {
                    "account": key[0],
                    "shard": key[1],
                    "balance": stored.get(key, 0),
                    "journal": journal.get(key, 0),
                }
            )
    for account, total in sorted(per_account.items()):
        if total < 0 and not _may_go_negative(account):
            report.negatives.append({"account": account, "balance": total})
    report.asset_totals = dict(sorted(totals.items()))
    return report

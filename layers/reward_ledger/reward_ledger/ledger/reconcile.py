"""Reconciliation: prove the books balance.

Two independent facts are checked from a full scan (a scheduled job, not a request path):
each asset's balances sum to zero (double entry), and every balance shard equals the sum of the journal
postings that touched it (nothing moved outside an entry). It also lists non-negative accounts that went
below zero. Any finding is reported by account so an operator can act on it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from reward_ledger.ledger.accounts import Account
from reward_ledger.ledger.models import BalanceItem, EntryItem


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

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "asset_totals": self.asset_totals,
            "mismatches": self.mismatches,
            "negatives": self.negatives,
            "entries": self.entries,
            "balances": self.balances,
        }


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
        if item.account is None:
            continue
        report.balances += 1
        key = (item.account, int(item.shard or 0))
        stored[key] = int(item.balance)
        totals[Account.parse(item.account).asset] += int(item.balance)
        per_account[item.account] += int(item.balance)
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
        if total < 0 and not Account.parse(account).policy.may_go_negative:
            report.negatives.append({"account": account, "balance": total})
    report.asset_totals = dict(sorted(totals.items()))
    return report

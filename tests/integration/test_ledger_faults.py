"""Ledger core under faults and load: retries, hot shards, tampering, threads."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any

import pytest

from reward_ledger.errors import InsufficientFunds, RetriesExhausted
from reward_ledger.ledger import (
    Account,
    EntryRequest,
    IdempotencyKey,
    Ledger,
    Leg,
    balance_key,
    external_account,
    reconcile,
    user_account,
)
from reward_ledger.ledger.models import BalanceItem, EntryItem

ISSUER = external_account("test", "CNY")
BUDGET = Account("campaign:c1", "budget", "CNY")  # sharded, never negative


def entry(key: str, legs: list[Leg]) -> EntryRequest:
    return EntryRequest(
        idempotency=IdempotencyKey(
            "t", key, {"legs": [[str(leg.debit), str(leg.credit), leg.amount] for leg in legs]}
        ),
        kind="t",
        legs=legs,
        response={"key": key},
    )


@contextmanager
def failing_transactions(codes: list[str], *, commit_first: bool = False) -> Iterator[list[str]]:
    """Make the next TransactWriteItems calls fail with ``codes`` (a botocore before-call hook).

    ``commit_first`` lets the call reach DynamoDB and commit, then loses the answer: the retry that
    follows must find the entry and replay it rather than apply it again.
    """
    client = EntryItem._get_connection().connection.client
    remaining = list(codes)
    seen: list[str] = []

    def before_call(model: Any, params: dict[str, Any], **_: Any) -> Any:
        if not remaining:
            return None
        code = remaining.pop(0)
        seen.append(code)
        api_params = json.loads(params["body"])  # before-call sees the serialised request
        if commit_first:
            client.meta.events.unregister("before-call.dynamodb.TransactWriteItems", before_call)
            client.transact_write_items(**api_params)
            client.meta.events.register("before-call.dynamodb.TransactWriteItems", before_call)
        body: dict[str, Any] = {"Error": {"Code": code, "Message": f"injected {code}"}}
        if code == "TransactionCanceledException":
            body["CancellationReasons"] = [
                {"Code": "TransactionConflict"} for _ in api_params["TransactItems"]
            ]
        return SimpleNamespace(status_code=400, headers={}), body

    client.meta.events.register("before-call.dynamodb.TransactWriteItems", before_call)
    try:
        yield seen
    finally:
        client.meta.events.unregister("before-call.dynamodb.TransactWriteItems", before_call)


def test_transaction_conflicts_are_retried_with_backoff(ledger_table: str) -> None:
    sleeps: list[float] = []
    ledger = Ledger(sleep=sleeps.append)
    alice = user_account("alice", "wallet", "CNY")
    with failing_transactions(["TransactionCanceledException", "TransactionCanceledException"]) as seen:
        result = ledger.transfer(entry("k", [Leg(ISSUER, alice, 100)]))
    assert seen == ["TransactionCanceledException"] * 2
    assert len(sleeps) == 2 and all(0 <= s <= 0.4 for s in sleeps)
    assert not result.replayed
    assert ledger.balance(alice) == 100


def test_throttling_is_retried(ledger_table: str) -> None:
    ledger = Ledger(sleep=lambda _s: None)
    alice = user_account("alice", "wallet", "CNY")
    with failing_transactions(["ThrottlingException"]) as seen:
        ledger.transfer(entry("k", [Leg(ISSUER, alice, 100)]))
    assert seen == ["ThrottlingException"]
    assert ledger.balance(alice) == 100


def test_retries_are_bounded(ledger_table: str) -> None:
    ledger = Ledger(sleep=lambda _s: None)
    alice = user_account("alice", "wallet", "CNY")
    with failing_transactions(["TransactionCanceledException"] * 50) as seen, pytest.raises(RetriesExhausted):
        ledger.transfer(entry("k", [Leg(ISSUER, alice, 100)]))
    assert len(seen) == 6  # data/ledger.toml retry.max_attempts
    assert ledger.balance(alice) == 0


def test_lost_answer_after_commit_is_replayed_not_applied_twice(ledger_table: str) -> None:
    """The connection dies after DynamoDB committed; the retry finds the entry and returns it."""
    ledger = Ledger(sleep=lambda _s: None)
    alice = user_account("alice", "wallet", "CNY")
    with failing_transactions(["ThrottlingException"], commit_first=True):
        result = ledger.transfer(entry("k", [Leg(ISSUER, alice, 100)]))
    assert result.replayed and result.response == {"key": "k"}
    assert ledger.balance(alice) == 100
    assert reconcile().ok


def test_hot_account_spreads_over_shards_and_falls_back_when_one_runs_dry(ledger: Ledger) -> None:
    shards = BUDGET.policy.shards
    for s in range(shards):  # fund each shard with 10
        ledger.transfer(entry(f"fund{s}", [Leg(ISSUER, BUDGET, 10, credit_shard=s)]))
    assert ledger.shard_balances(BUDGET) == [10] * shards
    users = [user_account(f"u{i}", "cash", "CNY") for i in range(shards * 10)]
    for i, user in enumerate(users):  # drain the budget 1 by 1 through whatever shard the hash picks
        ledger.transfer(entry(f"pay{i}", [Leg(BUDGET, user, 1)]))
    assert ledger.balance(BUDGET) == 0
    assert ledger.shard_balances(BUDGET) == [0] * shards
    with pytest.raises(InsufficientFunds):
        ledger.transfer(entry("one-more", [Leg(BUDGET, users[0], 1)]))
    assert reconcile().ok


def test_a_debit_larger_than_any_shard_is_split_across_shards(ledger: Ledger) -> None:
    for s in range(BUDGET.policy.shards):
        ledger.transfer(entry(f"fund{s}", [Leg(ISSUER, BUDGET, 5, credit_shard=s)]))
    bob = user_account("bob", "cash", "CNY")
    result = ledger.transfer(entry("big", [Leg(BUDGET, bob, 33)]))
    header = ledger.entry(result.entry_id)
    assert header is not None
    assert sum(-int(p.delta) for p in header.postings if p.account == str(BUDGET)) == 33
    assert ledger.balance(BUDGET) == 5 * BUDGET.policy.shards - 33
    assert ledger.balance(bob) == 33
    assert min(ledger.shard_balances(BUDGET)) >= 0
    assert reconcile().ok


def test_reconciliation_catches_a_tampered_balance(ledger: Ledger) -> None:
    alice = user_account("alice", "wallet", "CNY")
    ledger.transfer(entry("fund", [Leg(ISSUER, alice, 100)]))
    assert reconcile().ok
    item = BalanceItem.get(balance_key(alice, 0), "BAL")
    item.update(actions=[BalanceItem.balance.set(1_000_000)])  # someone writes outside the ledger
    report = reconcile()
    assert not report.ok
    assert report.mismatches == [{"account": str(alice), "shard": 0, "balance": 1_000_000, "journal": 100}]
    assert report.asset_totals == {"CNY": 999_900}


def test_reconciliation_reports_a_negative_user_account(ledger: Ledger) -> None:
    alice = user_account("alice", "wallet", "CNY")
    ledger.transfer(entry("fund", [Leg(ISSUER, alice, 100)]))
    BalanceItem.get(balance_key(alice, 0), "BAL").update(actions=[BalanceItem.balance.set(-5)])
    assert {"account": str(alice), "balance": -5} in reconcile().negatives


def test_threads_hammering_shared_accounts_never_overdraw_or_lose_updates(ledger: Ledger) -> None:
    wallets = [user_account(f"w{i}", "wallet", "CNY") for i in range(4)]
    for i, wallet in enumerate(wallets):
        ledger.transfer(entry(f"fund{i}", [Leg(ISSUER, wallet, 50)]))

    def work(n: int) -> str:
        debit, credit = wallets[n % 4], wallets[(n * 7 + 1) % 4]
        if debit == credit:
            credit = wallets[(n + 1) % 4]
        try:
            ledger.transfer(entry(f"race{n}", [Leg(debit, credit, 1 + n % 9)]))
        except InsufficientFunds:
            return "refused"
        return "applied"

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(work, range(400)))
    assert "applied" in outcomes
    balances = ledger.balances(wallets)
    assert sum(balances.values()) == 200  # money only moved between the four wallets
    assert all(b >= 0 for b in balances.values())
    assert reconcile().ok

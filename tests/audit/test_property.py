"""Property: for random sequences of entries, holds and reversals (on plain and sharded accounts, several
entries per millisecond), every account's point-in-time balance equals the sum of the journal up to that
moment, a reversal is applied at most once and exactly undoes its entry, and reconciliation stays clean.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import hypothesis.strategies as st
import pytest
from hypothesis import HealthCheck, given, settings
from moto import mock_aws

from infra.template import create_tables
from reward_ledger import clock
from reward_ledger.errors import AlreadyDone, InsufficientFunds, NotReversible
from reward_ledger.ledger import (
    EntryRequest,
    IdempotencyKey,
    Ledger,
    Leg,
    external_account,
    reconcile,
    system_account,
    user_account,
)
from reward_ledger.ledger.journal import balance_at, journal_page
from reward_ledger.ledger.models import EntryItem
from reward_ledger.ledger.reversal import no_feature_state, reverse
from reward_ledger.wiring import PRODUCT

T0 = datetime(2030, 1, 1, tzinfo=UTC)
ISSUER = external_account("prop", "CNY")
ACCOUNTS = [
    ISSUER,
    user_account("u0", "wallet", "CNY"),
    user_account("u1", "wallet", "CNY"),
    system_account("budget", "CNY"),  # 8 shards
]
HOOKS = {"prop.move": no_feature_state}

moves = st.tuples(
    st.sampled_from(range(len(ACCOUNTS))), st.sampled_from(range(len(ACCOUNTS))), st.integers(1, 50)
)
steps = st.lists(
    st.tuples(
        st.sampled_from(["move", "move", "hold", "reverse"]),
        moves,
        st.integers(0, 30),  # which earlier entry a reversal targets
        st.integers(0, 2),  # milliseconds the clock moves first (0: same millisecond as the last entry)
    ),
    min_size=1,
    max_size=12,
)


def journal() -> list[tuple[str, str, int]]:
    """(created_at, account, delta) of every posting of every entry: the journal an auditor sums."""
    return [
        (str(entry.created_at), str(p.account), int(p.delta))
        for entry in EntryItem.scan(EntryItem.sk == "ENTRY")
        for p in entry.postings
    ]


def run(program: list[tuple[str, tuple[int, int, int], int, int]]) -> None:
    ledger = Ledger(sleep=lambda _s: None)
    now = T0
    entries: list[str] = []
    reversed_by: dict[str, str] = {}
    moments: list[datetime] = [now - timedelta(milliseconds=1)]
    for i, (op, (a, b, amount), target, tick) in enumerate(program):
        now += timedelta(milliseconds=tick)
        clock.set_now(now)
        moments.append(now)
        debit, credit = ACCOUNTS[a], ACCOUNTS[b]
        if op in ("move", "hold"):
            if debit == credit:
                debit = ISSUER if credit != ISSUER else ACCOUNTS[1]
            request = EntryRequest(IdempotencyKey("prop", f"e{i}"), "prop.move", [Leg(debit, credit, amount)])
            try:
                result = ledger.hold(request) if op == "hold" else ledger.transfer(request)
            except InsufficientFunds:
                continue
            entries.append(result.entry_id)
        elif entries:
            entry_id = entries[target % len(entries)]
            try:
                result = reverse(ledger, entry_id, operator="prop", reason="r", hooks=HOOKS)
            except (InsufficientFunds, AlreadyDone, NotReversible):
                continue
            assert reversed_by.setdefault(entry_id, result.entry_id) == result.entry_id  # once per entry
    moments.append(now + timedelta(milliseconds=1))
    lines_of = journal()
    for account in ACCOUNTS:
        for moment in sorted(set(moments)):
            expected = sum(d for at, a, d in lines_of if a == str(account) and at <= clock.iso(moment))
            assert balance_at(account, moment) == expected, (account, moment)
        lines, cursor = journal_page(account, limit=100)
        assert cursor is None
        signed = sum(line.amount if line.direction == "credit" else -line.amount for line in lines)
        assert signed == ledger.balance(account) == balance_at(account, now)
    for entry_id, reversal in reversed_by.items():
        original, undo = ledger.entry(entry_id), ledger.entry(reversal)
        assert original is not None and undo is not None and original.reversed_by == reversal
        if original.pending is None:  # a posted entry: the reversal's postings are exactly its opposite
            net: dict[tuple[str, int], int] = defaultdict(int)
            for p in [*original.postings, *undo.postings]:
                net[(str(p.account), int(p.shard))] += int(p.delta)
            assert not any(net.values())
        else:
            assert original.state == "voided"
    report = reconcile()
    assert report.ok, report.as_dict()


@pytest.mark.slow
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(program=steps)
def test_point_in_time_balances_equal_the_journal_through_reversals(program: Any) -> None:
    with mock_aws():
        PRODUCT.bind_table(create_tables(boto3.client("dynamodb", region_name="us-east-1"))["LedgerTable"])
        try:
            run(program)
        finally:
            clock.set_now(None)

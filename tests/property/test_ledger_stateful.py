"""Stateful property test of the ledger core against a simple in-memory model.

Random sequences of transfers (one to three legs, netted), reused idempotency keys (same and different
payloads), two-phase holds with post/void (and repeats), overdraft attempts on plain and sharded
accounts, and batches of entries racing in threads. After every step:

* every asset sums to zero, every balance shard equals the sum of its journal postings, and no
  non-negative account is below zero (``reconcile``);
* the ledger's balances equal the model's, so a duplicate never changed state, a conflict never moved
  money and no concurrent update was lost.
"""

from __future__ import annotations

from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import hypothesis.strategies as st
import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from moto import mock_aws

from infra.template import create_tables
from reward_ledger.errors import AlreadyDone, IdempotencyConflict, InsufficientFunds
from reward_ledger.ledger import (
    Account,
    EntryRequest,
    IdempotencyKey,
    Ledger,
    Leg,
    external_account,
    hold_account,
    reconcile,
    system_account,
    user_account,
)
from reward_ledger.wiring import PRODUCT

ACCOUNTS: dict[str, list[Account]] = {
    "CNY": [
        external_account("prop", "CNY"),
        user_account("u0", "wallet", "CNY"),
        user_account("u1", "wallet", "CNY"),
        user_account("u2", "wallet", "CNY"),
        user_account("u0", "purse", "CNY"),
        system_account("budget", "CNY"),  # sharded (8), never negative
        Account("campaign:c1", "budget", "CNY"),  # sharded (8), never negative
    ],
    "O2": [
        external_account("prop", "O2"),
        user_account("u0", "energy", "O2"),
        user_account("u1", "energy", "O2"),
        system_account("expired", "O2"),
    ],
}
KEYS = [f"k{i}" for i in range(6)]


@st.composite
def legs(draw: st.DrawFn, max_legs: int = 3) -> list[Leg]:
    result = []
    for _ in range(draw(st.integers(1, max_legs))):
        asset = draw(st.sampled_from(sorted(ACCOUNTS)))
        debit, credit = draw(st.lists(st.sampled_from(ACCOUNTS[asset]), min_size=2, max_size=2, unique=True))
        result.append(Leg(debit, credit, draw(st.integers(1, 60))))
    return result


def payload(kind: str, entry_legs: list[Leg]) -> dict[str, Any]:
    return {"op": kind, "legs": [[str(leg.debit), str(leg.credit), leg.amount] for leg in entry_legs]}


def netted(entry_legs: list[Leg]) -> dict[Account, int]:
    deltas: dict[Account, int] = defaultdict(int)
    for leg in entry_legs:
        deltas[leg.debit] -= leg.amount
        deltas[leg.credit] += leg.amount
    return deltas


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.mock = mock_aws()
        self.mock.start()
        PRODUCT.bind_table(create_tables(boto3.client("dynamodb", region_name="us-east-1"))["LedgerTable"])
        self.ledger = Ledger(sleep=lambda _s: None)
        self.balances: dict[Account, int] = defaultdict(int)
        self.used: dict[str, dict[str, Any]] = {}  # key -> payload of the entry that holds it
        self.pending: dict[str, tuple[list[Leg], str | None]] = {}  # entry id -> legs, resolution
        self.fresh = 0

    def teardown(self) -> None:
        self.mock.stop()

    # -- helpers
    def _feasible(self, deltas: dict[Account, int]) -> bool:
        return all(self.balances[a] + d >= 0 or a.policy.may_go_negative for a, d in deltas.items() if d < 0)

    def _apply(self, deltas: dict[Account, int]) -> None:
        for account, delta in deltas.items():
            self.balances[account] += delta

    def _request(self, key: str, kind: str, entry_legs: list[Leg]) -> EntryRequest:
        return EntryRequest(
            idempotency=IdempotencyKey("prop", key, payload(kind, entry_legs)),
            kind=kind,
            legs=entry_legs,
            response={"kind": kind},
        )

    # -- rules
    @rule(key=st.sampled_from(KEYS), entry_legs=legs())
    def transfer(self, key: str, entry_legs: list[Leg]) -> None:
        deltas = netted(entry_legs)
        request = self._request(key, "transfer", entry_legs)
        if key in self.used:
            if self.used[key] == payload("transfer", entry_legs):
                assert self.ledger.transfer(request).replayed
            else:
                try:
                    self.ledger.transfer(request)
                except IdempotencyConflict:
                    pass
                else:
                    raise AssertionError("a reused key with another payload was accepted")
            return
        if self._feasible(deltas):
            result = self.ledger.transfer(request)
            assert not result.replayed
            self._apply(deltas)
            self.used[key] = payload("transfer", entry_legs)
        else:
            try:
                self.ledger.transfer(request)
            except InsufficientFunds:
                pass
            else:
                raise AssertionError(f"overdraft accepted: {deltas} on {dict(self.balances)}")

    @rule(asset=st.sampled_from(sorted(ACCOUNTS)), amount=st.integers(1, 500), to=st.integers(0, 10))
    def fund(self, asset: str, amount: int, to: int) -> None:
        """Issue fresh money from the external account so later debits can succeed."""
        accounts = ACCOUNTS[asset]
        credit = accounts[1 + to % (len(accounts) - 1)]
        self.fresh += 1
        entry_legs = [Leg(accounts[0], credit, amount)]
        self.ledger.transfer(self._request(f"fund{self.fresh}", "fund", entry_legs))
        self._apply(netted(entry_legs))

    @rule(key=st.sampled_from(KEYS), entry_legs=legs(max_legs=1))
    def hold(self, key: str, entry_legs: list[Leg]) -> None:
        leg = entry_legs[0]
        hold = hold_account(leg.debit.asset)
        deltas = {leg.debit: -leg.amount, hold: leg.amount}
        request = self._request(key, "hold", entry_legs)
        if key in self.used:
            try:
                result = self.ledger.hold(request)
            except IdempotencyConflict:
                assert self.used[key] != payload("hold", entry_legs)
            else:
                assert result.replayed and self.used[key] == payload("hold", entry_legs)
            return
        if self._feasible(deltas):
            result = self.ledger.hold(request)
            self._apply(deltas)
            self.used[key] = payload("hold", entry_legs)
            self.pending[result.entry_id] = (entry_legs, None)
        else:
            try:
                self.ledger.hold(request)
            except InsufficientFunds:
                pass
            else:
                raise AssertionError("a hold overdrew its account")

    @precondition(lambda self: bool(self.pending))
    @rule(data=st.data(), action=st.sampled_from(["post", "void"]))
    def resolve(self, data: st.DataObject, action: str) -> None:
        entry_id = data.draw(st.sampled_from(sorted(self.pending)))
        entry_legs, resolution = self.pending[entry_id]
        leg = entry_legs[0]
        if resolution is None:
            assert not self.ledger.resolve(entry_id, action).replayed  # type: ignore[arg-type]
            target = leg.credit if action == "post" else leg.debit
            self._apply({hold_account(leg.debit.asset): -leg.amount, target: leg.amount})
            self.pending[entry_id] = (entry_legs, action)
        elif resolution == action:
            assert self.ledger.resolve(entry_id, action).replayed  # type: ignore[arg-type]
        else:
            try:
                self.ledger.resolve(entry_id, action)  # type: ignore[arg-type]
            except AlreadyDone:
                pass
            else:
                raise AssertionError("a resolved entry was resolved the other way")

    @rule(batch=st.lists(st.tuples(st.integers(0, 3), legs(max_legs=2)), min_size=2, max_size=5))
    def race(self, batch: list[tuple[int, list[Leg]]]) -> None:
        """Entries in threads at once; same slot number = same fresh key and payload (a racing retry)."""
        self.fresh += 1
        by_slot: dict[int, list[Leg]] = {}
        requests = []
        for slot, entry_legs in batch:
            chosen = by_slot.setdefault(slot, entry_legs)
            requests.append(self._request(f"race{self.fresh}-{slot}", "race", chosen))

        def attempt(request: EntryRequest) -> tuple[EntryRequest, bool | None]:
            try:
                return request, self.ledger.transfer(request).replayed
            except InsufficientFunds:
                return request, None

        with ThreadPoolExecutor(max_workers=len(requests)) as pool:
            outcomes = list(pool.map(attempt, requests))
        applied: set[str] = set()
        for request, replayed in outcomes:
            if replayed is False:
                assert request.idempotency.key not in applied, "one key applied twice"
                applied.add(request.idempotency.key)
                self._apply(netted(list(request.legs)))

    # -- invariants
    @invariant()
    def books_balance(self) -> None:
        report = reconcile()
        assert report.ok, report.as_dict()

    @invariant()
    def balances_match_model(self) -> None:
        accounts = sorted(
            {a for group in ACCOUNTS.values() for a in group} | {hold_account(x) for x in ACCOUNTS}
        )
        actual = self.ledger.balances(accounts)
        expected = {a: self.balances[a] for a in accounts}
        assert actual == expected


LedgerMachine.TestCase.settings = settings(
    max_examples=12,
    stateful_step_count=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
test_ledger_state_machine = pytest.mark.slow(LedgerMachine.TestCase)

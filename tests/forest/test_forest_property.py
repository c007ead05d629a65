"""Property: any interleaving of payments, collects, steals, time and sweeps keeps every gram accounted for."""

from __future__ import annotations

import contextlib
import itertools
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reward_ledger import clock, forest, friends, payments
from reward_ledger.errors import AlreadyDone, NotRipe
from reward_ledger.ledger import IdempotencyKey, Ledger, reconcile
from reward_ledger.ledger.models import EntryItem
from reward_ledger.wiring import PRODUCT

USERS = ("a", "b", "c")
CATEGORIES = ("offline", "transit", "bike", "utility", "nothing")
_run = itertools.count()

operation = st.one_of(
    st.tuples(st.just("pay"), st.sampled_from(USERS), st.sampled_from(CATEGORIES)),
    st.tuples(st.just("collect"), st.sampled_from(USERS)),
    st.tuples(st.just("steal"), st.sampled_from(USERS), st.integers(0, 20)),
    st.tuples(st.just("advance"), st.integers(5, 900)),
    st.tuples(st.just("sweep")),
)


@pytest.mark.slow
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(operation, min_size=1, max_size=14))
def test_grams_are_never_lost_or_counted_twice(ledger: Ledger, ops: list[tuple[Any, ...]]) -> None:
    run = next(_run)
    users = [f"r{run}{u}" for u in USERS]
    for x, y in itertools.combinations(users, 2):
        friends.befriend(x, y)
        friends.befriend(y, x)
    clock.set_now(datetime(2026, 3, 10, 2, 0, tzinfo=clock.zone("UTC")) + timedelta(days=run))
    lots: list[tuple[str, str]] = []  # (owner, lot_id)
    for step, op in enumerate(ops):
        key = IdempotencyKey(f"prop{run}", str(step))
        if op[0] == "pay":
            event = payments.PaymentCompleted(
                payment_id=f"{run}-{step}",
                user_id=users[USERS.index(op[1])],
                amount=1,
                category=op[2],
                occurred_at=clock.now(),
            )
            result = payments.grant(ledger, event)
            if result is not None:
                lots.append((event.user_id, str(result.response["lot_id"])))
        elif op[0] == "collect":
            forest.collect(ledger, users[USERS.index(op[1])], key)
        elif op[0] == "steal" and lots:
            owner, lot_id = lots[op[2] % len(lots)]
            thief = users[(users.index(owner) + 1 + op[2] % 2) % len(users)]
            with contextlib.suppress(NotRipe, AlreadyDone):  # all are friends: never Forbidden
                forest.steal(ledger, thief, owner, lot_id, key)
        elif op[0] == "advance":
            clock.set_now(clock.now() + timedelta(minutes=op[1]))
        elif op[0] == "sweep":
            PRODUCT.sweeper(ledger).sweep_all()

    assert reconcile().ok
    assert forest.pool_mismatches(ledger) == []
    for owner, lot_id in lots:
        lot = forest.Lot.get(forest.partition(owner), f"LOT#{lot_id}")
        assert 0 <= int(lot.stolen) <= int(lot.amount) * 60 // 100
        assert (lot.exp_bucket is None) == (lot.state != "open")  # settled lots left the expiry index
    # every settled lot (of every example so far) is in exactly one settling entry
    states = {"open": 0, "collected": 0, "expired": 0}
    for lot in forest.Lot.scan(forest.Lot.sk.startswith("LOT#")):
        states[lot.state] += 1
    entries = list(EntryItem.scan(EntryItem.sk == "ENTRY"))
    assert sum(len(e.metadata["lots"]) for e in entries if e.kind == "forest.collect") == states["collected"]
    assert sum(int(e.metadata["lots"]) for e in entries if e.kind == "forest.expiry") == states["expired"]

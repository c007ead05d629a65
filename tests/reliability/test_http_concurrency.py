"""Threads racing on shared accounts against a moto server over HTTP: no overdraft, no lost update.

Every call is a real HTTP request to moto's server (``ThreadedMotoServer`` on 127.0.0.1), so requests of
different threads interleave the way Lambda invocations' requests interleave at DynamoDB. The numbers are
parametrised by environment variables (``RELIABILITY_THREADS``, ``RELIABILITY_ENTRIES_PER_THREAD``); the
default is 8 threads x 500 entries (4,000 entries, about a minute on a busy 2-core machine).
"""

from __future__ import annotations

import os
import random
import threading
from collections import Counter
from dataclasses import dataclass, field

import pytest

from reward_ledger.errors import InsufficientFunds, RetriesExhausted
from reward_ledger.ledger import (
    Account,
    EntryRequest,
    IdempotencyKey,
    Ledger,
    Leg,
    external_account,
    reconcile,
    user_account,
)
from reward_ledger.ledger.models import EntryItem
from tests.reliability.conftest import MotoServer

THREADS = int(os.environ.get("RELIABILITY_THREADS", "8"))
ENTRIES_PER_THREAD = int(os.environ.get("RELIABILITY_ENTRIES_PER_THREAD", "500"))
WALLETS = [user_account(f"race{i}", "wallet", "CNY") for i in range(6)]
ISSUER = external_account("race", "CNY")
OPENING = 2_000  # fen per wallet before the race
KIND = "reliability.race"


@dataclass
class Outcome:
    applied: dict[str, tuple[Account, Account, int]] = field(default_factory=dict)
    refused: Counter[str] = field(default_factory=Counter)
    replayed: int = 0


def request(key: str, debit: Account, credit: Account, amount: int) -> EntryRequest:
    return EntryRequest(
        idempotency=IdempotencyKey("reliability", key, {"d": str(debit), "c": str(credit), "a": amount}),
        kind=KIND,
        legs=[Leg(debit, credit, amount)],
        response={"key": key},
    )


def plan(thread: int) -> list[tuple[str, Account, Account, int]]:
    """A thread's entries: mostly wallet-to-wallet moves (some larger than any balance), a few top-ups."""
    rng = random.Random(thread)
    steps = []
    for n in range(ENTRIES_PER_THREAD):
        credit = rng.choice(WALLETS)
        if n % 25 == 0:
            debit: Account = ISSUER
            amount = rng.randint(100, 500)
        else:
            debit = rng.choice([w for w in WALLETS if w != credit])
            # about one in five asks for more than a wallet can ever hold during the race: overdraft attempts
            amount = rng.randint(1, 400) if rng.random() < 0.8 else rng.randint(5_000, 50_000)
        steps.append((f"t{thread}-n{n}", debit, credit, amount))
    return steps


@pytest.mark.slow
def test_threads_racing_on_shared_accounts_over_http_never_overdraw_or_lose_updates(
    moto_server: MotoServer,
) -> None:
    ledger = Ledger(sleep=lambda _s: None)
    for i, wallet in enumerate(WALLETS):
        ledger.transfer(request(f"open{i}", ISSUER, wallet, OPENING))
    outcome = Outcome()
    lock = threading.Lock()
    errors: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def run(thread: int) -> None:
        steps = plan(thread)
        start.wait()
        for key, debit, credit, amount in steps:
            try:
                result = ledger.transfer(request(key, debit, credit, amount))
            except InsufficientFunds:
                with lock:
                    outcome.refused["insufficient-funds"] += 1
                continue
            except RetriesExhausted:
                with lock:
                    outcome.refused["contention"] += 1
                continue
            except BaseException as exc:  # anything else fails the test (reported below)
                with lock:
                    errors.append(exc)
                return
            with lock:
                outcome.applied[result.entry_id] = (debit, credit, amount)
                outcome.replayed += int(result.replayed)

    threads = [threading.Thread(target=run, args=(t,), name=f"race-{t}") for t in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    total = THREADS * ENTRIES_PER_THREAD
    assert len(outcome.applied) + sum(outcome.refused.values()) == total
    assert outcome.replayed == 0  # every key is distinct: nothing may be mistaken for a duplicate
    assert outcome.refused["insufficient-funds"] > 0  # overdraft attempts did happen and were refused
    assert len(outcome.applied) > total // 2

    # zero lost updates: each balance is the opening plus exactly the applied entries' effects
    expected = dict.fromkeys(WALLETS, OPENING)
    expected[ISSUER] = -OPENING * len(WALLETS)
    for debit, credit, amount in outcome.applied.values():
        expected[debit] -= amount
        expected[credit] += amount
    assert ledger.balances([*WALLETS, ISSUER]) == expected
    # zero overdrafts: no wallet ever ended below zero (the guard is per write, so the end state suffices
    # together with reconcile's per-shard journal check)
    assert all(expected[w] >= 0 for w in WALLETS)
    # the journal holds exactly the entries the callers were told were applied, no more
    journaled = {e.entry_id for e in EntryItem.scan(EntryItem.sk == "ENTRY") if e.kind == KIND}
    assert journaled - {
        request(f"open{i}", ISSUER, w, OPENING).entry_id for i, w in enumerate(WALLETS)
    } == set(outcome.applied)
    report = reconcile()
    assert report.ok, report.as_dict()
    print(  # the figures docs/reliability.md quotes (pytest -s shows them)
        f"\n{THREADS} threads x {ENTRIES_PER_THREAD} entries: {len(outcome.applied)} applied, "
        f"{dict(outcome.refused)} refused, balances {sorted(expected[w] for w in WALLETS)}"
    )

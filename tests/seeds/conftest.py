"""Fixtures of the seeds, coupons and rentals tests: APIs, seeded users, and moto serialised for threads."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from reward_ledger.campaigns.seed import seed_campaigns
from reward_ledger.ledger import EntryRequest, IdempotencyKey, Ledger, Leg, external_account, user_account
from tests.conftest import Api


@pytest.fixture
def seeds_api(ledger_table: str) -> Api:
    return Api("SeedsFunction")


@pytest.fixture
def coupons_api(ledger: Ledger) -> Api:
    seed_campaigns(ledger, fund=True)  # the merchants' campaigns that fund the coupons sold for seeds
    return Api("CouponsFunction")


@pytest.fixture
def rentals_api(ledger_table: str) -> Api:
    return Api("RentalsFunction")


@pytest.fixture
def charity_api(ledger_table: str) -> Api:
    return Api("CharityFunction")


@pytest.fixture
def serialised_moto(ledger_table: str) -> None:
    """Threaded tests rely on :mod:`infra.moto_patches` (installed by ``create_tables``).

    moto's in-process backend is not thread-safe; DynamoDB applies each request atomically. The shared patch
    runs every DynamoDB call under one lock and rolls a cancelled transaction back item by item, so a threaded
    test exercises the ledger's own logic (conditions, shard fallback, retries) under interleaved requests.
    """
    from infra import moto_patches

    assert moto_patches._installed, "threaded tests need the serialisable moto patch"


def give_seeds(ledger: Ledger, user: str, seeds: int) -> None:
    idem = IdempotencyKey("test:seeds", f"{user}:{seeds}", {})
    ledger.transfer(
        EntryRequest(
            idempotency=idem,
            kind="test.seeds",
            legs=[Leg(external_account("seeds", "SEED"), user_account(user, "seeds", "SEED"), seeds)],
        )
    )


def run_threads(count: int, work: Any) -> list[Any]:
    """Run ``work(i)`` for i in range(count) on ``count`` threads released together; results in order."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def runner(i: int) -> None:
        barrier.wait()
        try:
            results[i] = work(i)
        except Exception as exc:  # collected and asserted by the test
            results[i] = exc

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results

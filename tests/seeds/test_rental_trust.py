"""Trust earned over time: quick or same-day returns do not make a user trusted; a default loses it."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from infra.handlers import invoke
from reward_ledger import clock, rentals
from reward_ledger.config import ledger_settings
from reward_ledger.ledger import IdempotencyKey, Ledger, reconcile, user_account
from tests.conftest import Api, fund
from tests.seeds.test_rentals import CABINET, TOY, UMBRELLA, borrow, give_back, rent_and_return, wallet

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 10:00 in Asia/Shanghai
TRUSTED = rentals.settings().tiers[0]
MIN_LOAN = timedelta(minutes=rentals.settings().trust.min_loan_minutes)


@pytest.fixture(autouse=True)
def _stocked(ledger_table: str) -> None:
    clock.set_now(T0)
    invoke("CabinetStockFunction", {})


def history(ledger: Ledger, user: str = "alice") -> dict[str, int]:
    return rentals.history_of(ledger, user)


def test_three_quick_cycles_no_longer_waive_the_toy_deposit(rentals_api: Api, ledger: Ledger) -> None:
    """The farming path: borrow and return seconds apart, three times; the next toy is still deposited."""
    fund("alice", 20_000)
    for i in range(TRUSTED.min_returns):
        _, body, _ = borrow(rentals_api, key=f"b{i}")
        clock.set_now(clock.now() + timedelta(seconds=5))
        status, returned, _ = give_back(rentals_api, body["rental_id"], key=f"r{i}")
        assert (status, returned["trust_outcome"]) == (201, "too-short")
    assert history(ledger)["on_time"] == TRUSTED.min_returns  # returned on time, yet none qualifies
    assert history(ledger)["qualifying"] == 0
    status, toy, _ = borrow(rentals_api, key="toy", item="toy")
    assert (status, toy["tier"], toy["deposit_held"]) == (201, "standard", TOY.deposit)
    assert wallet(ledger) == 20_000 - TOY.deposit


def test_long_loans_returned_on_one_day_count_once(rentals_api: Api, ledger: Ledger) -> None:
    fund("alice", 20_000)
    out = [borrow(rentals_api, key=f"b{i}")[1]["rental_id"] for i in range(3)]
    clock.set_now(T0 + 2 * MIN_LOAN)
    outcomes = [give_back(rentals_api, r, key=f"r{r}")[1]["trust_outcome"] for r in out]
    assert outcomes == ["counted", "same-day", "same-day"]
    assert history(ledger)["qualifying"] == 1
    _, toy, _ = borrow(rentals_api, key="toy", item="toy")
    assert (toy["tier"], toy["deposit_held"], toy["qualifying_returns"]) == ("standard", TOY.deposit, 1)


def test_qualifying_returns_on_distinct_local_days_waive_the_deposit(
    rentals_api: Api, ledger: Ledger
) -> None:
    fund("alice", 20_000)
    rent_and_return(rentals_api, "alice", TRUSTED.min_returns)  # 2-hour loans, one a day
    assert history(ledger)["qualifying"] == TRUSTED.min_returns
    status, toy, _ = borrow(rentals_api, key="toy", item="toy")
    assert (status, toy["tier"], toy["deposit_held"]) == (201, "trusted", 0)
    assert wallet(ledger) == 20_000


def test_the_local_day_is_the_servers_not_the_callers(rentals_api: Api, ledger: Ledger) -> None:
    """15:30 and 16:30 UTC are one UTC day but straddle midnight in the server's zone (Asia/Shanghai): two
    local days, whatever zone the token claims."""
    fund("alice", 20_000)
    first, second = (borrow(rentals_api, key=f"b{i}")[1]["rental_id"] for i in range(2))
    clock.set_now(datetime(2026, 11, 23, 15, 30, tzinfo=UTC))  # 23:30 in Shanghai
    assert give_back(rentals_api, first, key="r1")[1]["trust_outcome"] == "counted"
    clock.set_now(datetime(2026, 11, 23, 16, 30, tzinfo=UTC))  # 00:30 the next day in Shanghai
    status, body, _ = rentals_api.call(
        "POST",
        f"/v1/rentals/{second}/return",
        route="/v1/rentals/{rental_id}/return",
        path_parameters={"rental_id": second},
        body={},
        headers={"Idempotency-Key": "r2"},
        claims={"sub": "alice", "zoneinfo": "Etc/GMT+12"},  # a claim the caller controls: ignored
    )
    assert (status, body["trust_outcome"]) == (201, "counted")
    assert history(ledger)["qualifying"] == 2


def test_a_return_whose_day_was_counted_meanwhile_counts_once(
    rentals_api: Api, ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The hook's read is stale (a concurrent return counted the day after it): the condition cancels the
    void, nothing moves, and the retried return reads the day counted."""
    fund("alice", 20_000)
    first, second = (borrow(rentals_api, key=f"b{i}")[1]["rental_id"] for i in range(2))
    clock.set_now(T0 + 2 * MIN_LOAN)
    assert give_back(rentals_api, first, key="r1")[1]["trust_outcome"] == "counted"
    real = rentals.trust.history_item
    reads: list[str] = []

    def stale_once(user_id: str) -> rentals.RentalHistory | None:
        reads.append(user_id)
        return None if len(reads) == 1 else real(user_id)  # the first read: as before the first return

    monkeypatch.setattr(rentals.trust, "history_item", stale_once)
    status, body, _ = give_back(rentals_api, second, key="r2")
    assert (status, body["trust_outcome"], body["deposit_refunded"]) == (201, "same-day", UMBRELLA.deposit)
    assert len(reads) == 2  # cancelled once, then retried
    assert history(ledger)["qualifying"] == 1
    assert history(ledger)["on_time"] == 2
    assert wallet(ledger) == 20_000
    assert reconcile().ok


def test_returns_racing_on_one_day_count_once(ledger: Ledger, serialised_moto: None) -> None:
    from tests.seeds.conftest import run_threads

    fund("alice", 20_000)
    limit = rentals.settings().max_out_per_user
    out = [
        rentals.borrow(ledger, "alice", CABINET, "umbrella", IdempotencyKey("t", f"b{i}", {})).entry_id
        for i in range(limit)
    ]
    clock.set_now(T0 + 2 * MIN_LOAN)

    def give(i: int) -> object:
        return rentals.return_rental(ledger, "alice", out[i], IdempotencyKey("t", f"r{i}", {}))

    results = run_threads(limit, give)
    outcomes = sorted(str(r.response["trust_outcome"]) for r in results)  # type: ignore[attr-defined]
    assert outcomes == ["counted"] + ["same-day"] * (limit - 1)
    assert history(ledger)["qualifying"] == 1
    assert wallet(ledger) == 20_000
    assert reconcile().ok


def test_a_default_loses_the_tier_and_the_next_toy_is_deposited(rentals_api: Api, ledger: Ledger) -> None:
    fund("alice", 20_000)
    rent_and_return(rentals_api, "alice", TRUSTED.min_returns)
    _, toy, _ = borrow(rentals_api, key="toy", item="toy")
    assert (toy["tier"], toy["deposit_held"]) == ("trusted", 0)
    clock.set_now(clock.now() + timedelta(hours=TOY.loan_hours, minutes=1))
    ledger.time_out(toy["rental_id"])  # the hold timeout: not returned by the due time
    ledger.time_out(toy["rental_id"])  # a redelivered sweep job changes nothing more
    assert ledger.balance(rentals.unreturned_account("alice", "TOY")) == 1
    assert history(ledger)["qualifying"] == 0  # on_default.reset_returns
    assert history(ledger)["defaults"] == 1
    status, again, _ = borrow(rentals_api, key="toy-again", item="toy")
    assert (status, again["tier"], again["deposit_held"]) == (201, "standard", TOY.deposit)
    assert ledger.balance(user_account("alice", "wallet", "CNY")) == 20_000 - TOY.deposit
    assert reconcile().ok


_users = itertools.count()
LOCAL = ZoneInfo(ledger_settings().time.default_timezone)


@pytest.mark.slow
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    loans=st.lists(
        st.tuples(st.integers(0, 36 * 60), st.integers(1, UMBRELLA.loan_hours * 60 + 120)),
        min_size=1,
        max_size=6,
    )
)
def test_the_tier_follows_distinct_days_of_qualifying_returns(
    ledger: Ledger, loans: list[tuple[int, int]]
) -> None:
    """For any schedule of loans (minutes before the borrow, minutes lent): the count is the number of
    distinct local days among the returns of loans at least the minimum long and not late, and the
    deposit is waived exactly when that number reaches the tier."""
    user = f"p{next(_users)}"
    fund(user, 100_000, f"fund-{user}")
    now = T0
    days: set[str] = set()
    for i, (gap, minutes) in enumerate(loans):
        now += timedelta(minutes=gap)
        clock.set_now(now)
        held = rentals.borrow(ledger, user, CABINET, "umbrella", IdempotencyKey("t", f"{user}-b{i}", {}))
        trusted = len(days) >= TRUSTED.min_returns
        assert held.response is not None
        assert (held.response["tier"] == TRUSTED.tier) is trusted
        assert (held.response["deposit_held"] == 0) is trusted
        now += timedelta(minutes=minutes)
        clock.set_now(now)
        rentals.return_rental(ledger, user, held.entry_id, IdempotencyKey("t", f"{user}-r{i}", {}))
        if timedelta(minutes=minutes) >= MIN_LOAN and minutes <= UMBRELLA.loan_hours * 60:
            days.add(now.astimezone(LOCAL).date().isoformat())
        assert history(ledger, user)["qualifying"] == len(days)
    assert wallet(ledger, user) == 100_000


@pytest.mark.parametrize(
    "tiers",
    [
        [{"tier": "standard", "min_returns": 0, "waive_deposit": False}, {**dict(TRUSTED), "min_returns": 3}],
        [dict(TRUSTED), {"tier": "trusted", "min_returns": 0, "waive_deposit": False}],
        [dict(TRUSTED)],
    ],
    ids=["rising", "named-twice", "no-catch-all"],
)
def test_tier_rules_that_could_not_be_applied_are_refused_at_load(tiers: list[dict[str, object]]) -> None:
    data = rentals.settings().model_dump()
    with pytest.raises(ValidationError):
        rentals.RentalSettings.model_validate({**data, "tiers": tiers})
    rentals.RentalSettings.model_validate(data)  # the shipped rules load

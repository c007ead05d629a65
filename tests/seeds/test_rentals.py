"""Rentals: a deposit held, voided on return or forfeited on timeout, exactly once; waiver for the trusted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from infra.handlers import invoke
from reward_ledger import clock, rentals
from reward_ledger.errors import AlreadyDone
from reward_ledger.ledger import IdempotencyKey, Ledger, hold_account, reconcile, user_account
from reward_ledger.wiring import PRODUCT
from tests.conftest import Api, fund

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
CABINET = "cab-hz-001"  # 20 umbrellas, 5 toys
UMBRELLA = rentals.item_of("umbrella")  # deposit 3000 fen, 48 h
TOY = rentals.item_of("toy")


@pytest.fixture(autouse=True)
def _stocked(ledger_table: str) -> None:
    clock.set_now(T0)
    invoke("CabinetStockFunction", {})


def borrow(
    api: Api, user: str = "alice", key: str = "b1", item: str = "umbrella", cabinet: str = CABINET
) -> Any:
    return api.call(
        "POST",
        "/v1/rentals",
        body={"cabinet_id": cabinet, "item": item},
        headers={"Idempotency-Key": key},
        user=user,
    )


def give_back(api: Api, rental_id: str, user: str = "alice", key: str = "r1") -> Any:
    return api.call(
        "POST",
        f"/v1/rentals/{rental_id}/return",
        route="/v1/rentals/{rental_id}/return",
        path_parameters={"rental_id": rental_id},
        body={},
        headers={"Idempotency-Key": key},
        user=user,
    )


def wallet(ledger: Ledger, user: str = "alice") -> int:
    return ledger.balance(user_account(user, "wallet", "CNY"))


def cabinet_units(ledger: Ledger, asset: str = "UMBRELLA", cabinet: str = CABINET) -> int:
    return ledger.balance(rentals.cabinet_stock(cabinet, asset))


def test_borrow_holds_the_deposit_and_the_unit_and_a_return_voids_it_once(
    rentals_api: Api, ledger: Ledger
) -> None:
    fund("alice", 10_000)
    status, body, _ = borrow(rentals_api)
    assert status == 201, body
    assert body["deposit_held"] == UMBRELLA.deposit
    assert body["due_at"] == clock.iso(T0 + timedelta(hours=UMBRELLA.loan_hours))
    rental_id = body["rental_id"]
    status, again, headers = borrow(rentals_api)
    assert (status, again, headers["idempotent-replayed"]) == (201, body, "true")
    assert wallet(ledger) == 10_000 - UMBRELLA.deposit
    assert ledger.balance(hold_account("CNY")) == UMBRELLA.deposit
    assert cabinet_units(ledger) == 19
    header = ledger.entry(rental_id)
    assert header is not None
    assert (header.state, header.exp_kind) == ("pending", "hold")
    assert header.expires_at == body["due_at"]

    clock.set_now(T0 + timedelta(hours=5))
    status, returned, headers = give_back(rentals_api, rental_id)
    assert status == 201, returned
    assert returned["status"] == "returned"
    assert returned["on_time"] is True
    assert "idempotent-replayed" not in headers
    status, replay, headers = give_back(rentals_api, rental_id)
    assert (status, replay, headers["idempotent-replayed"]) == (201, returned, "true")
    status, problem, _ = give_back(rentals_api, rental_id, key="r2")
    assert (status, problem["type"]) == (409, "already-done")

    assert wallet(ledger) == 10_000
    assert ledger.balance(hold_account("CNY")) == 0
    assert ledger.balance(rentals.FORFEITED) == 0
    assert cabinet_units(ledger) == 20
    assert ledger.balance(rentals.unreturned_account("alice", "UMBRELLA")) == 0
    # the timeout sweep arriving later finds nothing to do
    clock.set_now(T0 + timedelta(days=3))
    with pytest.raises(AlreadyDone):
        ledger.time_out(rental_id)
    assert wallet(ledger) == 10_000
    assert rentals.history_of(ledger, "alice") == {
        "borrowed": 1,
        "on_time": 1,
        "late": 0,
        "qualifying": 1,
        "defaults": 0,
    }
    _, view, _ = rentals_api.call(
        "GET",
        f"/v1/rentals/{rental_id}",
        route="/v1/rentals/{rental_id}",
        path_parameters={"rental_id": rental_id},
    )
    assert view["status"] == "returned"
    assert reconcile().ok


def test_an_overdue_rental_is_forfeited_exactly_once_by_the_hold_timeout(
    rentals_api: Api, ledger: Ledger
) -> None:
    fund("alice", 10_000)
    _, body, _ = borrow(rentals_api)
    rental_id = body["rental_id"]

    clock.set_now(T0 + timedelta(hours=UMBRELLA.loan_hours, minutes=1))
    first = ledger.time_out(rental_id)  # what the generic hold-timeout sweep calls
    again = ledger.time_out(rental_id)  # a redelivered sweep job
    assert not first.replayed
    assert again.replayed
    assert wallet(ledger) == 10_000 - UMBRELLA.deposit
    assert ledger.balance(rentals.FORFEITED) == UMBRELLA.deposit
    assert ledger.balance(hold_account("CNY")) == 0
    assert cabinet_units(ledger) == 19  # the unit never came back
    assert ledger.balance(rentals.unreturned_account("alice", "UMBRELLA")) == 1
    header = ledger.entry(rental_id)
    assert header is not None
    assert (header.state, header.exp_bucket) == ("posted", None)  # out of the expiry index

    # a return after the forfeit is refused and changes nothing
    status, problem, _ = give_back(rentals_api, rental_id)
    assert (status, problem["type"]) == (409, "already-done")
    assert wallet(ledger) == 10_000 - UMBRELLA.deposit
    assert rentals.history_of(ledger, "alice")["defaults"] == 1
    assert reconcile().ok


def test_a_late_return_before_the_sweep_refunds_but_does_not_count_as_on_time(
    rentals_api: Api, ledger: Ledger
) -> None:
    fund("alice", 10_000)
    _, body, _ = borrow(rentals_api)
    clock.set_now(T0 + timedelta(hours=UMBRELLA.loan_hours + 1))
    status, returned, _ = give_back(rentals_api, body["rental_id"])
    assert (status, returned["on_time"]) == (201, False)
    assert wallet(ledger) == 10_000
    with pytest.raises(AlreadyDone):  # the sweep lost the race: no forfeit after the return
        ledger.time_out(body["rental_id"])
    assert rentals.history_of(ledger, "alice") == {
        "borrowed": 1,
        "on_time": 0,
        "late": 1,
        "qualifying": 0,
        "defaults": 0,
    }


def rent_and_return(api: Api, user: str, n: int) -> None:
    """``n`` qualifying returns: loans of two hours, returned on ``n`` different local days."""
    for i in range(n):
        status, body, _ = borrow(api, user=user, key=f"{user}-b{i}")
        assert status == 201, body
        clock.set_now(clock.now() + timedelta(hours=2))
        status, returned, _ = give_back(api, body["rental_id"], user=user, key=f"{user}-r{i}")
        assert (status, returned["trust_outcome"]) == (201, "counted"), returned
        clock.set_now(clock.now() + timedelta(days=1))


def test_the_deposit_is_waived_only_for_the_trusted_tier(rentals_api: Api, ledger: Ledger) -> None:
    trusted = rentals.settings().tiers[0]
    assert trusted.waive_deposit
    need = trusted.min_returns
    for user in ("alice", "bob", "carol"):
        fund(user, 20_000, f"fund-{user}")

    rent_and_return(rentals_api, "alice", need)  # enough on-time returns, no default: trusted
    rent_and_return(rentals_api, "bob", need - 1)  # one short
    rent_and_return(rentals_api, "carol", need)  # enough, but then a default
    _, overdue, _ = borrow(rentals_api, user="carol", key="carol-lost", item="toy")
    assert overdue["deposit_held"] == 0  # still trusted when she took the toy
    clock.set_now(clock.now() + timedelta(hours=TOY.loan_hours + 1))
    ledger.time_out(overdue["rental_id"])

    status, alice, _ = borrow(rentals_api, user="alice", key="alice-waived")
    assert (status, alice["deposit_held"], alice["tier"]) == (201, 0, "trusted")
    assert wallet(ledger, "alice") == 20_000  # no money held at all
    assert ledger.balance(hold_account("CNY")) == 0
    status, bob, _ = borrow(rentals_api, user="bob", key="bob-deposit")
    assert (status, bob["deposit_held"], bob["tier"]) == (201, UMBRELLA.deposit, "standard")
    status, carol, _ = borrow(rentals_api, user="carol", key="carol-deposit")
    assert (status, carol["deposit_held"], carol["tier"]) == (201, UMBRELLA.deposit, "standard")
    assert wallet(ledger, "carol") == 20_000 - UMBRELLA.deposit

    # a waived rental that is never returned is still a default: the unit is counted, the tier is lost
    clock.set_now(clock.now() + timedelta(hours=UMBRELLA.loan_hours + 1))
    ledger.time_out(alice["rental_id"])
    assert wallet(ledger, "alice") == 20_000
    assert rentals.history_of(ledger, "alice")["defaults"] == 1
    _, after, _ = borrow(rentals_api, user="alice", key="alice-after-default")
    assert (after["deposit_held"], after["tier"]) == (UMBRELLA.deposit, "standard")
    assert reconcile().ok


def test_refusals(rentals_api: Api, ledger: Ledger) -> None:
    fund("alice", UMBRELLA.deposit - 1)
    status, problem, _ = borrow(rentals_api)
    assert (status, problem["type"]) == (422, "insufficient-funds")
    assert cabinet_units(ledger) == 20  # nothing taken
    status, problem, _ = borrow(rentals_api, cabinet="cab-nowhere")
    assert (status, problem["type"]) == (404, "not-found")
    status, problem, _ = borrow(rentals_api, item="bicycle")
    assert (status, problem["type"]) == (404, "not-found")
    status, problem, _ = borrow(rentals_api, cabinet="cab-sh-002", item="toy")  # that cabinet has no toys
    assert (status, problem["type"]) == (422, "out-of-stock")
    status, problem, _ = give_back(rentals_api, "enotarental")
    assert (status, problem["type"]) == (404, "not-found")


def test_a_cabinet_runs_out_of_units(rentals_api: Api, ledger: Ledger) -> None:
    borrowers = ["alice", "alice", "alice", "bob", "bob", "bob"]  # at most 3 out each
    for user in ("alice", "bob"):
        fund(user, 100_000, f"fund-{user}")
    statuses = [borrow(rentals_api, user=u, key=f"t{i}", item="toy")[0] for i, u in enumerate(borrowers)]
    assert statuses == [201] * TOY_UNITS + [422]
    assert cabinet_units(ledger, "TOY") == 0
    assert wallet(ledger) + wallet(ledger, "bob") == 200_000 - TOY_UNITS * TOY.deposit
    _, view, _ = rentals_api.call(
        "GET",
        f"/v1/cabinets/{CABINET}",
        route="/v1/cabinets/{cabinet_id}",
        path_parameters={"cabinet_id": CABINET},
    )
    assert {i["item"]: i["available"] for i in view["items"]} == {"umbrella": 20, "toy": 0}


TOY_UNITS = 5


def test_only_the_borrower_can_return(rentals_api: Api, ledger: Ledger) -> None:
    fund("alice", 10_000)
    _, body, _ = borrow(rentals_api)
    status, problem, _ = give_back(rentals_api, body["rental_id"], user="mallory")
    assert (status, problem["type"]) == (404, "not-found")
    assert wallet(ledger) == 10_000 - UMBRELLA.deposit
    assert rentals.return_rental(
        ledger, "alice", body["rental_id"], IdempotencyKey("t", "k", {})
    ).response == {
        "status": "returned",
        "rental_id": body["rental_id"],
        "on_time": True,
        "deposit_refunded": UMBRELLA.deposit,
        "trust_outcome": "too-short",
    }


@pytest.mark.parametrize(
    "body",
    [
        {"cabinet_id": CABINET},
        {"cabinet_id": CABINET, "item": "umbrella", "deposit": 0},
        {"cabinet_id": 7, "item": "umbrella"},
    ],
)
def test_bad_rental_bodies_are_400(rentals_api: Api, body: dict) -> None:
    status, problem, _ = rentals_api.call("POST", "/v1/rentals", body=body, headers={"Idempotency-Key": "k"})
    assert (status, problem["type"]) == (400, "validation-error"), problem


def test_the_generic_expiry_sweep_forfeits_an_overdue_rental_once(rentals_api: Api, ledger: Ledger) -> None:
    fund("alice", 10_000)
    _, body, _ = borrow(rentals_api)
    _, kept, _ = borrow(rentals_api, key="b2", item="toy")  # due later: must stay pending
    clock.set_now(T0 + timedelta(hours=UMBRELLA.loan_hours, minutes=5))

    def sweep() -> int:
        return PRODUCT.sweeper(ledger).sweep_all()

    assert sweep() == 1
    assert sweep() == 0  # a repeated sweep finds nothing left in the index
    assert ledger.balance(rentals.FORFEITED) == UMBRELLA.deposit
    assert wallet(ledger) == 10_000 - UMBRELLA.deposit - TOY.deposit
    header = ledger.entry(kept["rental_id"])
    assert header is not None
    assert header.state == "pending"
    assert give_back(rentals_api, body["rental_id"])[0] == 409
    assert give_back(rentals_api, kept["rental_id"], key="r2")[0] == 201
    assert reconcile().ok


def test_borrowers_racing_for_the_last_units_of_a_cabinet(ledger: Ledger, serialised_moto: None) -> None:
    from tests.seeds.conftest import run_threads

    for i in range(12):
        fund(f"u{i}", 10_000, f"fund-u{i}")
    rentals.history_of(ledger, "u0")  # first use of a model builds its client: not in 12 threads at once

    def attempt(i: int) -> object:
        return rentals.borrow(ledger, f"u{i}", CABINET, "toy", IdempotencyKey("t", f"u{i}", {}))

    results = run_threads(12, attempt)
    refused = [r for r in results if isinstance(r, Exception)]
    assert len(results) - len(refused) == TOY_UNITS
    assert all(type(r).__name__ == "OutOfStock" for r in refused), refused
    assert cabinet_units(ledger, "TOY") == 0
    assert ledger.balance(hold_account("CNY")) == TOY_UNITS * TOY.deposit
    assert sum(wallet(ledger, f"u{i}") for i in range(12)) == 12 * 10_000 - TOY_UNITS * TOY.deposit
    assert reconcile().ok


def test_a_user_has_at_most_the_configured_rentals_out(rentals_api: Api, ledger: Ledger) -> None:
    limit = rentals.settings().max_out_per_user
    fund("alice", 100_000)
    out = [borrow(rentals_api, key=f"b{i}")[1]["rental_id"] for i in range(limit)]
    before = (wallet(ledger), cabinet_units(ledger))
    status, problem, _ = borrow(rentals_api, key="one-too-many")
    assert (status, problem["type"]) == (429, "rate-limited")
    assert (wallet(ledger), cabinet_units(ledger)) == before  # refused: no deposit, no unit moved
    assert give_back(rentals_api, out[0], key="r0")[0] == 201  # a return frees a place...
    assert borrow(rentals_api, key="after-return")[0] == 201
    assert borrow(rentals_api, key="again-too-many")[0] == 429
    clock.set_now(T0 + timedelta(hours=UMBRELLA.loan_hours + 1))
    ledger.time_out(out[1])  # ...and so does a forfeit, once however often the timeout runs
    ledger.time_out(out[1])
    assert borrow(rentals_api, key="after-forfeit")[0] == 201
    assert borrow(rentals_api, key="full-again")[0] == 429
    assert reconcile().ok

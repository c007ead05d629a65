"""Ledger core under moto: one transaction per entry, idempotency, every cancellation reason."""

from __future__ import annotations

import pytest

from reward_ledger.errors import AlreadyDone, IdempotencyConflict, InsufficientFunds, NotFound
from reward_ledger.ledger import (
    Account,
    EntryRequest,
    Guard,
    IdempotencyKey,
    Ledger,
    Leg,
    external_account,
    hold_account,
    reconcile,
    user_account,
)
from reward_ledger.ledger.models import EntryItem

ISSUER = external_account("test", "CNY")
ALICE = user_account("alice", "wallet", "CNY")
BOB = user_account("bob", "wallet", "CNY")


def move(ledger: Ledger, key: str, debit: Account, credit: Account, amount: int, **kw: object):
    idem = IdempotencyKey("test", key, {"debit": str(debit), "credit": str(credit), "amount": amount})
    return ledger.transfer(
        EntryRequest(
            idempotency=idem, kind="test", legs=[Leg(debit, credit, amount)], response={"n": amount}, **kw
        )
    )


def test_transfer_moves_money_and_journals_it(ledger: Ledger) -> None:
    move(ledger, "k1", ISSUER, ALICE, 500)
    result = move(ledger, "k2", ALICE, BOB, 120)
    assert not result.replayed
    assert ledger.balances([ALICE, BOB, ISSUER]) == {ALICE: 380, BOB: 120, ISSUER: -500}
    header = ledger.entry(result.entry_id)
    assert header is not None
    assert sorted((p.account, int(p.delta)) for p in header.postings) == sorted(
        [(str(ALICE), -120), (str(BOB), 120)]
    )
    assert reconcile().ok


def test_replay_returns_first_result_without_moving_money(ledger: Ledger) -> None:
    move(ledger, "fund", ISSUER, ALICE, 500)
    first = move(ledger, "pay", ALICE, BOB, 100)
    again = move(ledger, "pay", ALICE, BOB, 100)
    assert again.replayed
    assert again.entry_id == first.entry_id
    assert again.response == {"n": 100}
    assert again.created_at == first.created_at
    assert ledger.balances([ALICE, BOB]) == {ALICE: 400, BOB: 100}


def test_same_key_other_payload_is_a_conflict_and_moves_nothing(ledger: Ledger) -> None:
    move(ledger, "fund", ISSUER, ALICE, 500)
    move(ledger, "pay", ALICE, BOB, 100)
    with pytest.raises(IdempotencyConflict):
        move(ledger, "pay", ALICE, BOB, 101)
    assert ledger.balances([ALICE, BOB]) == {ALICE: 400, BOB: 100}


def test_overdraft_is_refused_and_nothing_is_written(ledger: Ledger) -> None:
    move(ledger, "fund", ISSUER, ALICE, 50)
    with pytest.raises(InsufficientFunds) as info:
        move(ledger, "too-much", ALICE, BOB, 51)
    assert info.value.context["account"] == str(ALICE)
    assert ledger.balances([ALICE, BOB]) == {ALICE: 50, BOB: 0}
    assert ledger.entry(IdempotencyKey("test", "too-much").entry_id) is None
    # the key is not burnt by a refused request: it can be used once funds arrive
    move(ledger, "fund2", ISSUER, ALICE, 1)
    assert not move(ledger, "too-much", ALICE, BOB, 51).replayed


def test_never_touched_account_cannot_be_debited(ledger: Ledger) -> None:
    with pytest.raises(InsufficientFunds):
        move(ledger, "k", ALICE, BOB, 1)


def test_guard_failure_maps_to_its_domain_error_and_rolls_back(ledger: Ledger) -> None:
    move(ledger, "fund", ISSUER, ALICE, 100)
    guard = Guard.check(
        EntryItem, "ENTRY#missing", "ENTRY", EntryItem.pk.exists(), lambda old: AlreadyDone("guard said no")
    )
    with pytest.raises(AlreadyDone, match="guard said no"):
        move(ledger, "guarded", ALICE, BOB, 10, guards=[guard])
    assert ledger.balances([ALICE, BOB]) == {ALICE: 100, BOB: 0}


def test_duplicate_wins_over_other_failing_conditions(ledger: Ledger) -> None:
    """A replay after the state moved on (balance spent) still returns the first result."""
    move(ledger, "fund", ISSUER, ALICE, 100)
    move(ledger, "spend-all", ALICE, BOB, 100)
    assert move(ledger, "spend-all", ALICE, BOB, 100).replayed


def test_legs_are_netted_per_account(ledger: Ledger) -> None:
    move(ledger, "fund", ISSUER, ALICE, 100)
    idem = IdempotencyKey("test", "roundtrip", {})
    result = ledger.transfer(
        EntryRequest(idempotency=idem, kind="t", legs=[Leg(ALICE, BOB, 30), Leg(BOB, ALICE, 10)])
    )
    header = ledger.entry(result.entry_id)
    assert header is not None
    assert sorted((p.account, int(p.delta)) for p in header.postings) == sorted(
        [(str(ALICE), -20), (str(BOB), 20)]
    )
    assert ledger.balances([ALICE, BOB]) == {ALICE: 80, BOB: 20}


@pytest.mark.parametrize("amount", [0, -5, 1.5, True, "10"])
def test_non_integer_or_non_positive_amounts_are_refused(amount: object) -> None:
    with pytest.raises(ValueError, match="amount"):
        Leg(ALICE, BOB, amount)  # type: ignore[arg-type]


def test_mixed_assets_in_one_leg_are_refused() -> None:
    with pytest.raises(ValueError, match="assets"):
        Leg(ALICE, user_account("bob", "energy", "O2"), 5)


def test_pending_post_and_void_complete_exactly_once(ledger: Ledger) -> None:
    move(ledger, "fund", ISSUER, ALICE, 300)
    pay = IdempotencyKey("test", "hold-1", {"a": 1})
    held = ledger.hold(EntryRequest(idempotency=pay, kind="withdrawal", legs=[Leg(ALICE, BOB, 200)]))
    hold = hold_account("CNY")
    assert ledger.balances([ALICE, BOB, hold]) == {ALICE: 100, BOB: 0, hold: 200}
    first = ledger.resolve(held.entry_id, "post")
    assert not first.replayed
    assert ledger.resolve(held.entry_id, "post").replayed  # redelivery: no second movement
    with pytest.raises(AlreadyDone):
        ledger.resolve(held.entry_id, "void")
    assert ledger.balances([ALICE, BOB, hold]) == {ALICE: 100, BOB: 200, hold: 0}
    header = ledger.entry(held.entry_id)
    assert header is not None
    assert header.state == "posted"

    held2 = ledger.hold(
        EntryRequest(idempotency=IdempotencyKey("test", "hold-2", {}), kind="w", legs=[Leg(ALICE, BOB, 60)])
    )
    ledger.resolve(held2.entry_id, "void")
    with pytest.raises(AlreadyDone):
        ledger.resolve(held2.entry_id, "post")
    assert ledger.balances([ALICE, BOB, hold]) == {ALICE: 100, BOB: 200, hold: 0}
    assert reconcile().ok


def test_resolving_an_unknown_entry_is_not_found(ledger: Ledger) -> None:
    with pytest.raises(NotFound):
        ledger.resolve("enope", "post")

"""Charity pools: donations guarded by the project's target in the donation's own transaction."""

from __future__ import annotations

import pytest

from reward_ledger.charity import catalog, donate, pool_account, projects_view
from reward_ledger.errors import AlreadyDone, NotFound, OutOfStock, ValidationFailed
from reward_ledger.ledger import EntryRequest, IdempotencyKey, Ledger, Leg, external_account, user_account


def give_eggs(ledger: Ledger, user: str, eggs: int) -> None:
    ledger.transfer(
        EntryRequest(
            idempotency=IdempotencyKey("test", f"eggs-{user}", {}),
            kind="test",
            legs=[Leg(external_account("farm", "EGG"), user_account(user, "eggs", "EGG"), eggs)],
        )
    )


def test_donations_fill_a_project_up_to_its_target_and_close_it(ledger: Ledger) -> None:
    project = catalog()["elder-care"]  # EGG, target 300
    give_eggs(ledger, "alice", 400)
    donate(ledger, "alice", "elder-care", "EGG", 250, IdempotencyKey("u", "d1", {"n": 250}))
    with pytest.raises(OutOfStock) as info:
        donate(ledger, "alice", "elder-care", "EGG", 60, IdempotencyKey("u", "d2", {"n": 60}))
    assert info.value.context["remaining"] == 50
    donate(ledger, "alice", "elder-care", "EGG", 50, IdempotencyKey("u", "d3", {"n": 50}))
    with pytest.raises(AlreadyDone):
        donate(ledger, "alice", "elder-care", "EGG", 1, IdempotencyKey("u", "d4", {"n": 1}))
    assert ledger.balance(pool_account(project)) == 300
    assert ledger.balance(user_account("alice", "eggs", "EGG")) == 100
    view = {p.project_id: p for p in projects_view()}
    assert view["elder-care"].raised == 300
    assert view["elder-care"].closed is True


def test_a_donation_replay_moves_nothing_twice(ledger: Ledger) -> None:
    give_eggs(ledger, "bob", 10)
    key = IdempotencyKey("u", "same", {"n": 4})
    first = donate(ledger, "bob", "school-lunch", "EGG", 4, key)
    again = donate(ledger, "bob", "school-lunch", "EGG", 4, key)
    assert again.replayed
    assert again.entry_id == first.entry_id
    assert ledger.balance(user_account("bob", "eggs", "EGG")) == 6


def test_wrong_asset_unknown_project_and_oversized_donations_are_refused(ledger: Ledger) -> None:
    with pytest.raises(ValidationFailed):
        donate(ledger, "bob", "school-lunch", "SEED", 1, IdempotencyKey("u", "a", {}))
    with pytest.raises(NotFound):
        donate(ledger, "bob", "nope", "EGG", 1, IdempotencyKey("u", "b", {}))
    with pytest.raises(OutOfStock):
        donate(ledger, "bob", "elder-care", "EGG", 301, IdempotencyKey("u", "c", {}))

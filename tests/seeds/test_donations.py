"""Seed donations into pooled charity projects, and the project listing."""

from __future__ import annotations

import pytest

from reward_ledger import charity, seeds
from reward_ledger.errors import AlreadyDone, OutOfStock
from reward_ledger.ledger import IdempotencyKey, Ledger, reconcile, user_account
from tests.conftest import Api
from tests.seeds.conftest import give_seeds, run_threads

PROJECT = "library-books"  # SEED project, target 400 in data/charity.toml


def donate(
    api: Api, project_id: str, amount: object, key: str, user: str = "alice"
) -> tuple[int, dict, dict]:
    return api.call(
        "POST",
        "/v1/seeds/donations",
        body={"project_id": project_id, "seeds": amount},
        headers={"Idempotency-Key": key},
        user=user,
    )


def raised(charity_api: Api, project_id: str) -> int:
    status, body, _ = charity_api.call("GET", "/v1/charity/projects")
    assert status == 200
    return next(p["raised"] for p in body["projects"] if p["project_id"] == project_id)


def test_seed_donation_moves_seeds_into_the_pool(seeds_api: Api, charity_api: Api, ledger: Ledger) -> None:
    give_seeds(ledger, "alice", 100)
    status, body, _ = donate(seeds_api, PROJECT, 30, "d1")
    assert status == 201, body
    assert set(body) == {"entry_id"}
    status, again, headers = donate(seeds_api, PROJECT, 30, "d1")
    assert (status, again, headers["idempotent-replayed"]) == (201, body, "true")
    status, conflict, _ = donate(seeds_api, PROJECT, 31, "d1")
    assert (status, conflict["type"]) == (409, "idempotency-conflict")

    project = charity.catalog()[PROJECT]
    assert ledger.balance(user_account("alice", "seeds", "SEED")) == 70
    assert ledger.balance(charity.pool_account(project)) == 30
    assert raised(charity_api, PROJECT) == 30
    assert reconcile().ok


def test_charity_listing_shows_every_project_with_asset_target_and_raised(charity_api: Api) -> None:
    status, body, _ = charity_api.call("GET", "/v1/charity/projects")
    assert status == 200
    listed = {p["project_id"]: p for p in body["projects"]}
    assert set(listed) == set(charity.catalog())
    assert {p["asset"] for p in listed.values()} == {"EGG", "SEED"}
    for p in listed.values():
        assert {"project_id", "asset", "target", "raised"} <= set(p)
        assert p["raised"] == 0
    assert charity_api.call("GET", "/v1/charity/projects", user=None)[0] == 401


def test_donation_refusals(seeds_api: Api, ledger: Ledger) -> None:
    give_seeds(ledger, "alice", 10)
    status, body, _ = donate(seeds_api, PROJECT, 11, "too-much")
    assert (status, body["type"]) == (422, "insufficient-funds")
    status, body, _ = donate(seeds_api, "no-such-project", 1, "k1")
    assert (status, body["type"]) == (404, "not-found")
    status, body, _ = donate(seeds_api, "school-lunch", 1, "k2")  # an EGG project takes no seeds
    assert (status, body["type"]) == (400, "validation-error")
    assert ledger.balance(user_account("alice", "seeds", "SEED")) == 10


@pytest.mark.parametrize(
    "body",
    [
        {"project_id": PROJECT, "seeds": 0},
        {"project_id": PROJECT, "seeds": -1},
        {"project_id": PROJECT, "seeds": 1.5},
        {"project_id": PROJECT, "seeds": "5"},
        {"project_id": PROJECT},
        {"project_id": PROJECT, "seeds": 5, "user_id": "bob"},
        {"project_id": "bad id", "seeds": 5},
    ],
)
def test_bad_donation_bodies_are_400(seeds_api: Api, body: dict) -> None:
    status, problem, _ = seeds_api.call(
        "POST", "/v1/seeds/donations", body=body, headers={"Idempotency-Key": "k"}
    )
    assert (status, problem["type"]) == (400, "validation-error"), problem


def test_donations_racing_for_the_last_units_never_pass_the_target(
    ledger: Ledger, serialised_moto: None
) -> None:
    project = charity.catalog()[PROJECT]
    target = project.target
    # bring the project to 10 short of its target
    give_seeds(ledger, "whale", target - 10)
    seeds.donate_seeds(ledger, "whale", PROJECT, target - 10, IdempotencyKey("t", "whale", {}))
    donors = 12  # each wants 3 of the last 10: at most three can fit, then one 1-unit remainder
    for i in range(donors):
        give_seeds(ledger, f"d{i}", 3)

    def attempt(i: int) -> object:
        return seeds.donate_seeds(ledger, f"d{i}", PROJECT, 3, IdempotencyKey("t", f"d{i}", {}))

    results = run_threads(donors, attempt)
    accepted = [r for r in results if not isinstance(r, Exception)]
    refused = [r for r in results if isinstance(r, Exception)]
    assert len(accepted) == 3
    assert all(isinstance(r, OutOfStock) for r in refused), refused
    assert {r.context["remaining"] for r in refused if isinstance(r, OutOfStock)} == {1}

    # the remainder is still welcome; after that the project is closed
    last = next(i for i, r in enumerate(results) if isinstance(r, OutOfStock))
    seeds.donate_seeds(ledger, f"d{last}", PROJECT, 1, IdempotencyKey("t", "last-unit", {}))
    with pytest.raises(AlreadyDone):
        seeds.donate_seeds(ledger, f"d{last}", PROJECT, 1, IdempotencyKey("t", "after-close", {}))

    assert ledger.balance(charity.pool_account(project)) == target
    view = {p.project_id: p for p in charity.projects_view()}[PROJECT]
    assert (view.raised, view.closed) == (target, True)
    donated = sum(3 - ledger.balance(user_account(f"d{i}", "seeds", "SEED")) for i in range(donors))
    assert donated == 10
    assert reconcile().ok

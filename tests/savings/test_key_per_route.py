"""Idempotency keys are scoped per user and route: one key on two routes is two independent requests."""

from __future__ import annotations

from tests.conftest import Api, fund


def test_the_same_key_on_two_post_routes_gives_two_independent_results(ledger_table: str) -> None:
    fund("alice", 10_000, "top-up")
    api = Api("SavingsFunction")
    status, choice, headers = api.call(
        "POST",
        "/v1/stories/first-date/choices",
        route="/v1/stories/{story_id}/choices",
        path_parameters={"story_id": "first-date"},
        body={"chapter": 1, "choice_id": "flowers"},
        headers={"Idempotency-Key": "same-key"},
    )
    assert status == 201 and "idempotent-replayed" not in headers, choice
    status, release, headers = api.call(
        "POST", "/v1/purse/releases", body={"amount": 1}, headers={"Idempotency-Key": "same-key"}
    )
    assert status == 201 and "idempotent-replayed" not in headers, release  # no replay, no 409
    assert release["entry_id"] != choice["entry_id"]
    status, body, _ = Api("AccountsFunction").call("GET", "/v1/me/balances")
    books = {b["book"]: b["balance"] for b in body["balances"]}
    assert books["purse"] == choice["amount"] - 1
    assert books["wallet"] == 10_000 - choice["amount"] + 1

"""First vertical slice: wallet.funded consumer and the caller's balances and journal over HTTP."""

from __future__ import annotations

import pytest

from infra.apigw import eventbridge_event
from infra.handlers import invoke
from reward_ledger.errors import IdempotencyConflict, ValidationFailed
from reward_ledger.ledger import reconcile
from tests.conftest import SEED_ENTRIES, Api, fund


def test_balances_list_every_user_book_with_zero_defaults(accounts_api: Api) -> None:
    status, body, headers = accounts_api.call("GET", "/v1/me/balances")
    assert status == 200
    assert headers["content-type"] == "application/json"
    books = {(b["book"], b["asset"]): b["balance"] for b in body["balances"]}
    assert books[("wallet", "CNY")] == 0
    assert {("purse", "CNY"), ("cash", "CNY"), ("energy", "O2"), ("eggs", "EGG"), ("seeds", "SEED")} <= set(
        books
    )


def test_funding_event_credits_the_wallet_once(accounts_api: Api) -> None:
    first = fund("alice", 1_000, "fund-1")
    again = fund("alice", 1_000, "fund-1")
    assert first["replayed"] is False
    assert again == {"entry_id": first["entry_id"], "replayed": True}
    _, body, _ = accounts_api.call("GET", "/v1/me/balances")
    assert {b["book"]: b["balance"] for b in body["balances"]}["wallet"] == 1_000
    assert reconcile().ok


def test_funding_event_reusing_an_id_with_another_amount_is_refused(accounts_api: Api) -> None:
    fund("alice", 1_000, "fund-1")
    with pytest.raises(IdempotencyConflict):
        fund("alice", 2_000, "fund-1")
    _, body, _ = accounts_api.call("GET", "/v1/me/balances")
    assert {b["book"]: b["balance"] for b in body["balances"]}["wallet"] == 1_000


@pytest.mark.parametrize(
    "detail",
    [
        {"funding_id": "x", "user_id": "alice", "amount": 1.5},
        {"funding_id": "x", "user_id": "alice", "amount": -3},
        {"funding_id": "x", "user_id": "alice", "amount": "100"},
        {"funding_id": "x", "user_id": "al\u0000ice", "amount": 100},  # control character ("al/ice" encodes)
        {"funding_id": "", "user_id": "alice", "amount": 100},
        {"user_id": "alice", "amount": 100},
    ],
)
def test_malformed_funding_events_fail_loudly_and_change_nothing(accounts_api: Api, detail: dict) -> None:
    with pytest.raises(ValidationFailed):
        invoke("FundingFunction", eventbridge_event("payments", "wallet.funded", detail))
    assert reconcile().entries == SEED_ENTRIES  # nothing beyond the seed


def test_journal_lists_own_entries_newest_first_with_a_cursor(accounts_api: Api) -> None:
    for i in range(5):
        fund("alice", 100 + i, f"fund-{i}")
    fund("bob", 999, "bob-fund")
    status, page1, _ = accounts_api.call("GET", "/v1/me/journal", query={"book": "wallet", "limit": "2"})
    assert status == 200
    assert [e["amount"] for e in page1["entries"]] == [104, 103]
    assert all(e["direction"] == "credit" and e["kind"] == "wallet.funded" for e in page1["entries"])
    _, page2, _ = accounts_api.call(
        "GET", "/v1/me/journal", query={"limit": "2", "cursor": page1["next_cursor"]}
    )
    _, page3, _ = accounts_api.call(
        "GET", "/v1/me/journal", query={"limit": "2", "cursor": page2["next_cursor"]}
    )
    assert [e["amount"] for e in page2["entries"]] == [102, 101]
    assert [e["amount"] for e in page3["entries"]] == [100]
    assert page3["next_cursor"] is None


def test_a_cursor_of_another_user_is_refused(accounts_api: Api) -> None:
    for i in range(3):
        fund("bob", 10 + i, f"b-{i}")
    _, page, _ = accounts_api.call("GET", "/v1/me/journal", user="bob", query={"limit": "1"})
    status, body, headers = accounts_api.call("GET", "/v1/me/journal", query={"cursor": page["next_cursor"]})
    assert status == 400
    assert body["type"] == "validation-error"
    assert headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    "query",
    [{"limit": "0"}, {"limit": "101"}, {"limit": "ten"}, {"book": "nope"}, {"book": "wallet", "asset": "O2"}],
)
def test_bad_journal_queries_are_400_problems(accounts_api: Api, query: dict) -> None:
    status, body, headers = accounts_api.call("GET", "/v1/me/journal", query=query)
    assert status == 400, body
    assert body["type"] == "validation-error"
    assert set(body) >= {"type", "title", "status", "detail"}
    assert headers["content-type"] == "application/problem+json"


def test_no_token_claims_is_401(accounts_api: Api) -> None:
    status, body, _ = accounts_api.call("GET", "/v1/me/balances", user=None)
    assert status == 401
    assert body["type"] == "unauthorized"


def test_unknown_route_is_a_404_problem(accounts_api: Api) -> None:
    status, body, _ = accounts_api.call("GET", "/v1/me/nothing")
    assert status == 404
    assert body["type"] == "not-found"

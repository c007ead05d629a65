"""The audit routes end to end over HTTP against the local stack of template.yaml (JWT authorizer with
scopes, the audit function's own role, the reconcile schedule)."""

from __future__ import annotations

import uuid
from urllib.parse import quote

from infra import token as tokens
from tests.local.conftest import Client, client, stack  # noqa: F401 (fixtures)

FLOWERS = 1990


def operator() -> str:
    return tokens.issue("ops-local", extra={"scope": "ledger/admin"})


def test_a_choice_reversed_once_restores_both_balances(client: Client) -> None:  # noqa: F811
    user = "audit-" + uuid.uuid4().hex[:8]
    purse = quote(f"user:{user}/purse/CNY", safe="")
    try:
        assert client.call("POST", "/_local/clock", {"now": "2031-03-01T08:00:00Z"}).status == 200
        detail = {"funding_id": "f-" + user, "user_id": user, "amount": 10_000}
        assert client.event("payments", "wallet.funded", detail).status == 200
        chose = client.call(
            "POST",
            "/v1/stories/first-date/choices",
            {"chapter": 1, "choice_id": "flowers"},
            user=user,
            headers={"Idempotency-Key": "choice-1"},
        )
        assert chose.status == 201, chose.body
        entry_id = chose.body["entry_id"]
        assert client.balances(user)["purse"] == FLOWERS

        assert client.call("POST", "/_local/clock", {"now": "2031-03-01T09:00:00Z"}).status == 200
        path = f"/v1/admin/entries/{entry_id}/reversal"
        reversed_ = client.call(
            "POST",
            path,
            {"reason": "tapped by mistake"},
            token=operator(),
            headers={"Idempotency-Key": "rev-1"},
        )
        assert reversed_.status == 201, reversed_.body
        again = client.call(
            "POST",
            path,
            {"reason": "tapped by mistake"},
            token=operator(),
            headers={"Idempotency-Key": "rev-2"},
        )
        assert again.status == 201 and again.body == reversed_.body
        assert again.headers["idempotent-replayed"] == "true"
        balances = client.balances(user)
        assert (balances["wallet"], balances["purse"]) == (10_000, 0)

        entry = client.call("GET", f"/v1/admin/entries/{entry_id}", token=operator())
        assert entry.status == 200 and entry.body["reversed_by"] == reversed_.body["reversal_id"]
        before = client.call(
            "GET", f"/v1/admin/accounts/{purse}/balance?at=2031-03-01T08:59:59Z", token=operator()
        )
        assert before.status == 200, before.body
        assert before.body == {
            "account": f"user:{user}/purse/CNY",
            "balance": FLOWERS,
            "at": "2031-03-01T08:59:59.000Z",
        }
        after = client.call(
            "GET", f"/v1/admin/accounts/{purse}/balance?at=2031-03-01T09:00:00Z", token=operator()
        )
        assert after.body["balance"] == 0
        history = client.call("GET", f"/v1/admin/accounts/{purse}/history?limit=1", token=operator())
        assert history.status == 200
        assert [(e["kind"], e["direction"]) for e in history.body["entries"]] == [
            ("savings.choice.reversal", "debit")
        ]
        more = client.call(
            "GET",
            f"/v1/admin/accounts/{purse}/history?limit=5&cursor={history.body['next_cursor']}",
            token=operator(),
        )
        assert [(e["kind"], e["amount"]) for e in more.body["entries"]] == [("savings.choice", FLOWERS)]
        assert (
            client.call("GET", f"/v1/admin/accounts/{purse}/balance?at=soon", token=operator()).status == 400
        )
        assert client.call("GET", "/v1/admin/accounts/not-an-account/balance", token=operator()).status == 400
    finally:
        client.call("POST", "/_local/clock", {"now": None})


def test_the_nightly_reconciliation_is_readable_by_operators(client: Client) -> None:  # noqa: F811
    ran = client.call("POST", "/_local/schedules/ReconcileFunction")
    assert ran.status == 200, ran.body
    latest = client.call("GET", "/v1/admin/reconciliations/latest", token=operator())
    assert latest.status == 200, latest.body
    assert latest.body["ok"] is True and latest.body["entries"] >= 1
    by_id = client.call("GET", f"/v1/admin/reconciliations/{latest.body['run_id']}", token=operator())
    assert by_id.body == latest.body


def test_a_user_token_is_refused_on_every_audit_route(client: Client) -> None:  # noqa: F811
    account = quote("system/hold/CNY", safe="")
    routes = [
        ("GET", "/v1/admin/entries/eabc", None),
        ("POST", "/v1/admin/entries/eabc/reversal", {"reason": "x"}),
        ("GET", f"/v1/admin/accounts/{account}/balance", None),
        ("GET", f"/v1/admin/accounts/{account}/history", None),
        ("GET", "/v1/admin/reconciliations/latest", None),
        ("GET", "/v1/admin/reconciliations/r1", None),
    ]
    for method, path, body in routes:
        for token in (
            tokens.issue("alice"),
            tokens.issue("alice", extra={"scope": "openid ledger/merchant"}),
        ):
            reply = client.call(method, path, body, token=token, headers={"Idempotency-Key": "k"})
            assert reply.status == 403, (method, path, reply.body)
            assert reply.body["type"] == "forbidden"

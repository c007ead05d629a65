"""End to end through HTTP against the stack of template.yaml: auth, events, schedules, clock, OpenAPI."""

from __future__ import annotations

import hashlib
import hmac
import threading
import uuid
from typing import Any

import pytest

from infra import token as tokens
from infra.discovery import load
from infra.stack import LocalStack
from tests.local.conftest import Client, eventually


def new_user() -> str:
    return f"u-{uuid.uuid4().hex[:12]}"


def fund(client: Client, user: str, amount: int, funding_id: str | None = None) -> dict[str, object]:
    detail = {"funding_id": funding_id or f"f-{uuid.uuid4().hex}", "user_id": user, "amount": amount}
    reply = client.event("payments", "wallet.funded", detail)
    assert reply.status == 200, reply.body
    return dict(reply.body)


# ---------------------------------------------------------------------- auth
BAD_TOKENS = {
    "missing": lambda: None,
    "bad-signature": lambda: "Bearer " + tokens.issue("alice", key="not-the-local-secret"),
    "expired": lambda: "Bearer " + tokens.issue("alice", ttl_seconds=-60),
    "not-a-jwt": lambda: "Bearer not.a.jwt",
    "empty": lambda: "Bearer ",
}


@pytest.mark.parametrize("kind", sorted(BAD_TOKENS))
def test_requests_without_a_valid_token_get_401_problem(client: Client, kind: str) -> None:
    header = BAD_TOKENS[kind]()
    reply = client.call("GET", "/v1/me/balances", headers={"Authorization": header} if header else None)
    assert reply.status == 401
    assert reply.headers["content-type"] == "application/problem+json"
    assert reply.body["type"] == "unauthorized"
    assert reply.body["status"] == 401
    assert "bearer" in reply.headers["www-authenticate"].lower()


def test_a_valid_token_reaches_the_handler_with_its_sub(client: Client) -> None:
    reply = client.call("GET", "/v1/me/balances", user=new_user())
    assert reply.status == 200
    assert {"book": "wallet", "asset": "CNY", "balance": 0} in reply.body["balances"]


def test_unknown_routes_are_404_problems_and_other_methods_405(client: Client) -> None:
    reply = client.call("GET", "/v1/no-such-thing", user="alice")
    assert reply.status == 404
    assert reply.body["type"] == "not-found"
    for method in ("DELETE", "TRACE", "QUERY"):
        refused = client.call(method, "/v1/me/balances", user="alice")
        assert (refused.status, refused.headers.get("allow")) == (405, "GET"), method
        assert refused.body["type"] == "method-not-allowed"


# ---------------------------------------------------------------------- events
def test_a_funded_wallet_shows_in_the_balances(client: Client) -> None:
    user = new_user()
    delivered = fund(client, user, 12_345)
    assert delivered["matched_rules"] == ["FundingFunctionWalletFunded"]
    assert client.balances(user)["wallet"] == 12_345


def test_an_event_delivered_twice_changes_balances_once(client: Client) -> None:
    user = new_user()
    first = fund(client, user, 5_000, "dup-" + user)
    again = fund(client, user, 5_000, "dup-" + user)
    [first_delivery] = first["deliveries"]  # type: ignore[misc]
    [second_delivery] = again["deliveries"]  # type: ignore[misc]
    assert first_delivery["result"]["replayed"] is False
    assert second_delivery["result"] == {"entry_id": first_delivery["result"]["entry_id"], "replayed": True}
    assert client.balances(user)["wallet"] == 5_000


def test_a_failing_target_is_reported_retried_and_dead_lettered(client: Client) -> None:
    before = _depth(client, "FundingEventsDLQ")
    reply = client.event("payments", "wallet.funded", {"funding_id": "bad", "user_id": "alice", "amount": -5})
    assert reply.status == 502
    assert reply.body["type"] == "delivery-failed"
    [failed] = reply.body["failed"]
    assert failed["target"] == "FundingFunction"
    assert failed["attempts"] == 3  # the first try and EventInvokeConfig's MaximumRetryAttempts: 2
    assert failed["dead_letter_queue"] == "FundingEventsDLQ"
    assert "ValidationFailed" in failed["error"]
    assert _depth(client, "FundingEventsDLQ") == before + 1


def test_an_event_no_rule_matches_is_accepted_and_goes_nowhere(client: Client) -> None:
    reply = client.event("elsewhere", "nothing.happened", {"x": 1})
    assert reply.status == 200
    assert reply.body["matched_rules"] == []
    assert reply.body["deliveries"] == []


@pytest.mark.parametrize(
    "body",
    [
        {"source": "payments", "detail-type": "wallet.funded", "detail": [1]},
        {"source": "", "detail-type": "x"},
        "nope",
    ],
)
def test_malformed_local_events_are_400(client: Client, body: object) -> None:
    reply = client.call("POST", "/_local/events", body)
    assert reply.status == 400
    assert reply.body["type"] == "validation-error"


def _depth(client: Client, queue: str) -> int:
    queues = {q["queue"]: q for q in client.call("GET", "/_local/queues").body["queues"]}
    return int(queues[queue]["visible"])


# ---------------------------------------------------------------------- schedules and the clock
def test_a_schedule_runs_after_moving_the_clock(client: Client) -> None:
    listed = client.call("GET", "/_local/schedules").body["schedules"]
    assert "ReconcileFunction" in {s["function"] for s in listed}
    fund(client, new_user(), 700)
    moved = client.call("POST", "/_local/clock", {"now": "2031-06-01T18:30:00Z"})
    assert moved.status == 200
    assert moved.body == {"now": "2031-06-01T18:30:00.000Z", "pinned": True}
    try:
        run = client.call("POST", "/_local/schedules/ReconcileFunction")
        assert run.status == 200, run.body
        assert run.body["now"] == "2031-06-01T18:30:00.000Z"
        assert run.body["result"]["ok"] is True
        assert run.body["result"]["entries"] >= 1
    finally:
        reset = client.call("POST", "/_local/clock", {"now": None})
    assert reset.body["pinned"] is False


def test_the_clock_refuses_bad_input_and_unknown_schedules_are_404(client: Client) -> None:
    assert client.call("POST", "/_local/clock", {"now": "yesterday"}).status == 400
    assert client.call("POST", "/_local/clock", {"when": None}).status == 400
    reply = client.call("POST", "/_local/schedules/NoSuchFunction")
    assert reply.status == 404
    assert "ReconcileFunction" in reply.body["detail"]


# ---------------------------------------------------------------------- concurrency
def test_parallel_requests_each_see_their_own_caller(client: Client) -> None:
    users = {new_user(): 100 * (n + 1) for n in range(8)}
    for user, amount in users.items():
        fund(client, user, amount)
    seen: dict[str, int] = {}
    errors: list[BaseException] = []

    def read(user: str) -> None:
        try:
            for _ in range(3):
                seen[user] = client.balances(user)["wallet"]
                assert seen[user] == users[user]
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=read, args=(u,)) for u in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors, errors
    assert seen == users


# ---------------------------------------------------------------------- savings (the CONTRACT routes)
def test_fund_then_make_a_savings_choice_then_read_balances(client: Client) -> None:
    routes = {r.route_key for r in load().routes}
    if "POST /v1/stories/{story_id}/choices" not in routes:
        pytest.skip("the savings routes are not in the template yet")
    user = new_user()
    fund(client, user, 10_000)
    stories = client.call("GET", "/v1/stories", user=user)
    assert stories.status == 200, stories.body
    story_id = stories.body["stories"][0]["story_id"]
    story = client.call("GET", f"/v1/stories/{story_id}", user=user).body
    choice = story["chapters"][0]["choices"][0]
    made = client.call(
        "POST",
        f"/v1/stories/{story_id}/choices",
        {"chapter": 1, "choice_id": choice["choice_id"]},
        user=user,
        headers={"Idempotency-Key": "choice-1"},
    )
    assert made.status == 201, made.body
    assert made.body["amount"] == choice["amount"]
    assert client.balances(user) == {
        "wallet": 10_000 - choice["amount"],
        "purse": choice["amount"],
        "cash": 0,
    }


# ---------------------------------------------------------------------- template <-> code
def test_every_handler_in_the_template_imports_alone(stack: LocalStack, client: Client) -> None:
    """The start-up check: each handler imported in a fresh interpreter with its own variables; and
    every function of the template has its workers."""
    model = load()
    assert model.functions, "the template declares no function"
    assert stack.handler_failures() == {}
    listed = client.call("GET", "/_local/functions").body["functions"]
    assert [f["name"] for f in listed] == sorted(model.functions)


def test_every_template_route_has_an_openapi_operation_and_back(client: Client) -> None:
    document = client.call("GET", "/openapi.json").body
    operations = {
        (method.upper(), path)
        for path, ops in document["paths"].items()
        if not path.startswith("/_local")
        for method in ops
    }
    routes = {(r.method, r.path) for r in load().routes if r.path != "$default"}
    missing_in_code = {f"{m} {p}" for m, p in routes if m != "ANY" and (m, p) not in operations}
    missing_in_template = {
        f"{m} {p}" for m, p in operations if (m, p) not in routes and ("ANY", p) not in routes
    }
    assert not missing_in_code, f"template routes without a handler route: {sorted(missing_in_code)}"
    assert not missing_in_template, f"handler routes without a template event: {sorted(missing_in_template)}"
    secured = document["paths"]["/v1/me/balances"]["get"]["security"]
    assert secured == [{"bearerAuth": []}]


def test_swagger_ui_is_served(client: Client) -> None:
    page = client.call("GET", "/docs")
    assert page.status == 200
    assert "swagger-ui" in page.body
    assert "/openapi.json" in page.body


def test_every_sqs_event_source_of_the_template_is_polled(client: Client) -> None:
    sources = {(s["queue"], s["function"]) for s in client.call("GET", "/_local/queues").body["sources"]}
    assert sources == {(q.queue, q.function) for q in load().queue_sources if q.enabled}


def test_a_scheduled_fan_out_feeds_its_queue_consumer_in_the_real_template(client: Client) -> None:
    """The expiry sweep: the schedule enqueues jobs, the SQS-triggered worker drains them (no DLQ)."""
    listed = {s["function"] for s in client.call("GET", "/_local/schedules").body["schedules"]}
    if "ExpiryFanoutFunction" not in listed:
        pytest.skip("no expiry fan-out in the template")

    def state() -> dict[str, Any]:
        body = client.call("GET", "/_local/queues").body
        queues = {q["queue"]: q for q in body["queues"]}
        [worker] = [s for s in body["sources"] if s["function"] == "ExpiryWorkerFunction"]
        return {"queue": queues[worker["queue"]], "worker": worker}

    before = state()["worker"]["succeeded"]
    run = client.call("POST", "/_local/schedules/ExpiryFanoutFunction")
    assert run.status == 200, run.body
    jobs = run.body["result"]["jobs"]
    assert jobs > 0
    # drained: at least our jobs succeeded and nothing is left (an earlier run's jobs may still be
    # finishing when "before" is read, so the count alone could be reached with ours in flight)
    done = eventually(
        state,
        lambda s: (
            s["worker"]["succeeded"] >= before + jobs and s["queue"]["visible"] + s["queue"]["in_flight"] == 0
        ),
        timeout=60,
    )
    assert done["worker"]["retried"] == 0, done["worker"]["recent_errors"]


def test_a_game_result_pays_cash_and_a_withdrawal_completes_through_the_worker_queue(client: Client) -> None:
    """Games locally: the SSM secret is LOCAL_GAME_SECRET, the house budget is seeded, the clock lets the
    play time pass, and the withdrawal worker (SQS) posts the pending withdrawal."""
    routes = {r.route_key for r in load().routes}
    if not {"POST /v1/games/{game_id}/sessions", "POST /v1/withdrawals"} <= routes:
        pytest.skip("the games and withdrawals routes are not in the template yet")
    user = new_user()
    client.call("POST", "/_local/clock", {"now": "2030-03-01T02:00:00Z"})
    try:
        opened = client.call(
            "POST", "/v1/games/puzzle/sessions", {}, user=user, headers={"Idempotency-Key": "s-1"}
        )
        assert opened.status == 201, opened.body
        session_id = opened.body["session_id"]
        client.call("POST", "/_local/clock", {"now": "2030-03-01T02:01:00Z"})
        score, duration_ms = 900, 50_000
        message = f"{session_id}:{score}:{duration_ms}".encode()
        signature = hmac.new(b"local-game-secret", message, hashlib.sha256).hexdigest()
        result = client.call(
            "POST",
            f"/v1/games/sessions/{session_id}/result",
            {"score": score, "duration_ms": duration_ms, "signature": signature},
            user=user,
            headers={"Idempotency-Key": "r-1", "X-Device-Id": "phone-1"},
        )
        assert result.status == 201, result.body
        assert result.body["status"] == "credited"
        cash = client.balances(user)["cash"]
        assert cash == result.body["granted"] > 0
        asked = client.call(
            "POST", "/v1/withdrawals", {"amount": cash}, user=user, headers={"Idempotency-Key": "w-1"}
        )
        assert asked.status == 202, asked.body
        withdrawal = f"/v1/withdrawals/{asked.body['withdrawal_id']}"
        done = eventually(
            lambda: client.call("GET", withdrawal, user=user).body, lambda b: b["status"] != "pending"
        )
        assert done["status"] == "completed"
        assert client.balances(user) == {"wallet": cash, "purse": 0, "cash": 0}
    finally:
        client.call("POST", "/_local/clock", {"now": None})


def test_parallel_clients_racing_for_one_chapter_move_money_once(client: Client) -> None:
    """Threads race through the gateway as clients would in AWS: one choice wins the chapter, the rest
    are refused by the ledger's conditions, and the money moves once."""
    routes = {r.route_key for r in load().routes}
    if "POST /v1/stories/{story_id}/choices" not in routes:
        pytest.skip("the savings routes are not in the template yet")
    user = new_user()
    fund(client, user, 50_000)
    statuses: list[int] = []

    def choose(n: int) -> None:
        reply = client.call(
            "POST",
            "/v1/stories/first-date/choices",
            {"chapter": 1, "choice_id": "postcard"},
            user=user,
            headers={"Idempotency-Key": f"race-{n}"},
        )
        statuses.append(reply.status)

    threads = [threading.Thread(target=choose, args=(n,)) for n in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(statuses) == [201] + [409] * 9
    balances = client.balances(user)
    assert balances["wallet"] + balances["purse"] == 50_000
    assert balances["purse"] == 300

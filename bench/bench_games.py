"""Games figures: DynamoDB calls per accepted result and per withdrawal request (happy path, through the
handlers), and the hottest item of a 1,000-result storm (the sharded house budget keeps it near 1/shards; sponsors'
storms are bench_merchants').

``hot_item_write_share`` counts, from every ``TransactWriteItems`` of the storm (botocore hook in
``bench/common.py``), how many transactions wrote each item key (Put/Update/Delete); the share is the
largest count divided by the number of results. Each storm user plays only a few results, so the
per-user items (cash, daily counter) stay cold and the budgets' shard items are the hot ones.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3

from bench.common import CALLS, moto_ledger_table
from infra.apigw import http_api_event
from infra.handlers import invoke
from reward_ledger import clock, runtime
from reward_ledger.games import ResultInput, config, open_session, seed_budgets, sign, submit_result
from reward_ledger.ledger import IdempotencyKey, Ledger
from reward_ledger.wiring import PRODUCT

T0 = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)
SECRET = b"local-game-secret"
STORM_RESULTS = 1_000
STORM_USERS = 250


def _call(
    function: str, method: str, path: str, route: str, params: dict[str, str], body: Any, user: str, idem: str
) -> tuple[int, dict[str, Any]]:
    event = http_api_event(
        method,
        path,
        route_key=f"{method} {route}",
        path_parameters=params,
        headers={"Idempotency-Key": idem, "X-Device-Id": f"dev-{user}"},
        body=body,
        claims={"sub": user},
    )
    response = invoke(function, event)
    return int(response["statusCode"]), json.loads(response["body"])


def _open(user: str, idem: str) -> str:
    status, body = _call(
        "GamesFunction",
        "POST",
        "/v1/games/puzzle/sessions",
        "/v1/games/{game_id}/sessions",
        {"game_id": "puzzle"},
        {},
        user,
        idem,
    )
    assert status == 201, body
    return str(body["session_id"])


def _submit(
    user: str, session_id: str, idem: str, score: int = 500, duration_ms: int = 30_000
) -> dict[str, Any]:
    status, body = _call(
        "GamesFunction",
        "POST",
        f"/v1/games/sessions/{session_id}/result",
        "/v1/games/sessions/{session_id}/result",
        {"session_id": session_id},
        {
            "score": score,
            "duration_ms": duration_ms,
            "signature": sign(SECRET, session_id, score, duration_ms),
        },
        user,
        idem,
    )
    assert status == 201 and body["status"] == "credited", body
    return body


def _happy_results(events: int = 20) -> tuple[float, float]:
    users = [f"happy{i}" for i in range(events)]
    # the steady state: a process reads a game's catalog entry once per CATALOG_TTL_SECONDS (games.live),
    # so the first session opened in a fresh process costs one GetItem more; warm it as traffic would
    _open("warm-up", "open-warm-up")
    with CALLS.measure():
        sessions = [_open(user, f"open-{user}") for user in users]
    open_calls = CALLS.total / events
    clock.set_now(clock.now() + timedelta(seconds=31))
    total = 0
    for user, session_id in zip(users, sessions, strict=True):
        with CALLS.measure():
            _submit(user, session_id, f"res-{user}")
        total += CALLS.total
    return total / events, open_calls


def _happy_withdrawals(events: int = 20) -> tuple[float, float]:
    users = [f"happy{i}" for i in range(events)]  # each earned 8 fen above; top up to 20
    sessions = [_open(user, f"open2-{user}") for user in users]
    clock.set_now(clock.now() + timedelta(seconds=61))
    for user, session_id in zip(users, sessions, strict=True):
        _submit(user, session_id, f"res2-{user}", score=800, duration_ms=60_000)
    request_calls = 0
    ids = []
    for user in users:
        with CALLS.measure():
            status, body = _call(
                "WithdrawalsFunction",
                "POST",
                "/v1/withdrawals",
                "/v1/withdrawals",
                {},
                {"amount": 10},
                user,
                f"wd-{user}",
            )
        assert status == 202, body
        request_calls += CALLS.total
        ids.append(body["withdrawal_id"])
    worker_calls = 0
    for n, wid in enumerate(ids):
        record = {
            "messageId": f"m{n}",
            "receiptHandle": f"r{n}",
            "body": json.dumps({"withdrawal_id": wid}),
            "attributes": {},
            "messageAttributes": {},
            "eventSource": "aws:sqs",
        }
        with CALLS.measure():
            assert invoke("WithdrawalWorkerFunction", {"Records": [record]}) == {"batchItemFailures": []}
        worker_calls += CALLS.total
    return request_calls / events, worker_calls / events


def _storm(ledger: Ledger) -> dict[str, Any]:
    """1,000 results from 250 users, through the domain (the handler adds no DynamoDB call)."""
    users = [f"storm{i}" for i in range(STORM_USERS)]
    per_user = STORM_RESULTS // STORM_USERS
    sessions = []
    for n in range(per_user):
        for user in users:
            idem = IdempotencyKey(f"user:{user}|POST /v1/games/{{game_id}}/sessions", f"s{n}", {})
            sessions.append((user, open_session(user, "puzzle", idem).session_id, n))
    clock.set_now(clock.now() + timedelta(seconds=31))
    written: Counter[str] = Counter()
    for user, session_id, n in sessions:
        idem = IdempotencyKey(f"user:{user}|POST /v1/games/sessions/{{session_id}}/result", f"r{n}", {"n": n})
        result = ResultInput(
            user, session_id, 500, 30_000, sign(SECRET, session_id, 500, 30_000), f"dev-{user}", None
        )
        with CALLS.measure():
            submit_result(ledger, result, idem)
        written.update(CALLS.written)
    shards = config().rewards.house.policy.shards

    def hottest(prefix: str) -> float:
        counts = [c for k, c in written.items() if prefix in k]
        return round(max(counts) / STORM_RESULTS, 4) if counts else 0.0

    key, count = written.most_common(1)[0]
    return {
        "results": STORM_RESULTS,
        "users": STORM_USERS,
        "shards": shards,
        "ideal": round(1 / shards, 4),
        "max": round(count / STORM_RESULTS, 4),
        "hottest_item": json.loads(key)["pk"]["S"],
        "house_budget_max_shard": hottest(f"BAL#{config().rewards.house}#"),
    }


def run() -> dict[str, Any]:
    with moto_ledger_table():
        clock.set_now(T0)
        runtime.new_environment()
        os.environ["WITHDRAWAL_QUEUE_URL"] = boto3.client("sqs", region_name="us-east-1").create_queue(
            QueueName="bench-withdrawals"
        )["QueueUrl"]
        try:
            ledger = PRODUCT.ledger()
            seed_budgets(ledger, house=10**7, tag="bench")
            result_calls, open_calls = _happy_results()
            withdrawal_calls, worker_calls = _happy_withdrawals()
            storm = _storm(ledger)
        finally:
            os.environ.pop("WITHDRAWAL_QUEUE_URL", None)
            clock.set_now(None)
            CALLS.reset()
    return {
        "ddb_calls_per_event": {
            "game_result": result_calls,
            "game_session_open": open_calls,
            "withdrawal": withdrawal_calls,
            "withdrawal_worker": worker_calls,
        },
        "hot_item_write_share": storm,
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2, sort_keys=True))

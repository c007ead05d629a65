"""What the HTTP edge costs on top of the domain: a handler's CPU per request besides its DynamoDB calls.

The same read (the caller's balances: one ``BatchGetItem``) is done ``BENCH_EDGE_REQUESTS`` times
(default 200) through the AccountsFunction handler (API Gateway v2 event, Powertools routing and
validation, logging, metrics, the response) and directly through the ledger. Both exclude moto's own
request handling (``bench.common.BACKEND``); the difference is the edge's CPU per request, which the
cost model (``bench/scale.py``) adds to every HTTP event's domain CPU.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from typing import Any

from bench.common import BACKEND, fund_book, moto_ledger_table
from infra.apigw import http_api_event
from infra.handlers import invoke
from reward_ledger.ledger import Ledger, user_account

USER = "edge-user"


def _client_cpu_ms(action: Callable[[], Any], requests: int) -> float:
    with BACKEND.measure():
        started = time.process_time()
        for _ in range(requests):
            action()
        spent = time.process_time() - started
        return 1000 * (spent - BACKEND.seconds) / requests


def run() -> dict[str, Any]:
    requests = int(os.environ.get("BENCH_EDGE_REQUESTS", "200"))
    with moto_ledger_table():
        ledger = Ledger()
        fund_book(ledger, USER, "wallet", 10_000)
        accounts = [user_account(USER, book, "CNY") for book in ("wallet", "purse", "cash")]
        event = http_api_event(
            "GET", "/v1/me/balances", route_key="GET /v1/me/balances", claims={"sub": USER}
        )

        def through_handler() -> None:
            answer = invoke("AccountsFunction", event)
            assert answer["statusCode"] == 200, answer

        through_handler()  # warm: the handler module is imported once, as in a warm Lambda
        handler_ms = _client_cpu_ms(through_handler, requests)
        domain_ms = _client_cpu_ms(lambda: ledger.balances(accounts), requests)
    return {
        "http_edge": {
            "requests": requests,
            "handler_client_cpu_ms": round(handler_ms, 3),
            "domain_client_cpu_ms": round(domain_ms, 3),
            "edge_cpu_ms": round(max(0.0, handler_ms - domain_ms), 3),
        }
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2, sort_keys=True))

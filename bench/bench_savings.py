"""Savings figures: DynamoDB round trips per HTTP request of the savings function (choices, releases, reads).

Each request goes through the real handler (``SavingsFunction`` from template.yaml) against moto; the
counter is the botocore ``before-call.dynamodb`` hook of ``bench.common``, so every API call any client
makes is counted, reads included.
"""

from __future__ import annotations

import time
from typing import Any

from bench.common import CALLS, calls_per_event, moto_ledger_table
from infra.apigw import http_api_event
from infra.handlers import invoke
from reward_ledger.funding import WalletFunded, fund_wallet
from reward_ledger.savings import catalog
from reward_ledger.wiring import PRODUCT

STORY = "first-date"
USERS = 20


def _call(method: str, path: str, route: str, user: str, body: Any = None, key: str | None = None) -> int:
    event = http_api_event(
        method,
        path,
        route_key=f"{method} {route}",
        path_parameters={"story_id": STORY} if "{story_id}" in route else None,
        headers={"Idempotency-Key": key} if key else None,
        body=body,
        claims={"sub": user},
    )
    status: int = invoke("SavingsFunction", event)["statusCode"]
    return status


def _choose(user: str, chapter: int, choice: str, key: str, expect: int = 201) -> None:
    status = _call(
        "POST",
        f"/v1/stories/{STORY}/choices",
        "/v1/stories/{story_id}/choices",
        user,
        {"chapter": chapter, "choice_id": choice},
        key,
    )
    assert status == expect, (user, chapter, choice, status)


def _release(user: str, amount: int, key: str, expect: int = 201) -> None:
    status = _call("POST", "/v1/purse/releases", "/v1/purse/releases", user, {"amount": amount}, key)
    assert status == expect, (user, amount, status)


def run() -> dict[str, Any]:
    story = catalog().stories[STORY]
    picks = [chapter.choices[0].choice_id for chapter in story.chapters]
    last = len(picks)
    with moto_ledger_table():
        ledger = PRODUCT.ledger()
        users = [f"saver{i}" for i in range(USERS)]
        for user in users:
            fund_wallet(ledger, WalletFunded(funding_id=f"bench-{user}", user_id=user, amount=10**8))
        _choose("warm", 1, picks[0], "warm", expect=422)  # imports, clients and connections

        first = calls_per_event(lambda i: _choose(users[i], 1, picks[0], "c1"), USERS)
        with CALLS.measure():
            _choose(users[0], 2, picks[1], "c2")
            items_per_choice = len(CALLS.written)
        middle = calls_per_event(lambda i: _choose(users[i + 1], 2, picks[1], "c2"), USERS - 1)
        for chapter in range(3, last):
            for user in users:
                _choose(user, chapter, picks[chapter - 1], f"c{chapter}")
        completing = calls_per_event(lambda i: _choose(users[i], last, picks[-1], f"c{last}"), USERS)
        replay = calls_per_event(lambda i: _choose(users[i], last, picks[-1], f"c{last}"), USERS)
        stale = calls_per_event(lambda i: _choose(users[i], last, picks[-1], "stale", expect=409), USERS)
        release = calls_per_event(lambda i: _release(users[i], 100, "r1"), USERS)
        overdraw = calls_per_event(lambda i: _release(users[i], 10**9, "r2", expect=422), USERS)
        get_story = calls_per_event(
            lambda i: _call("GET", f"/v1/stories/{STORY}", "/v1/stories/{story_id}", users[i]), USERS
        )
        list_stories = calls_per_event(lambda i: _call("GET", "/v1/stories", "/v1/stories", users[i]), USERS)

        n = 100
        started = time.perf_counter()
        for i in range(n):
            _release(users[i % USERS], 1, f"speed{i}")
        release_ms = (time.perf_counter() - started) * 1000 / n

    return {
        "ddb_calls_per_event": {
            "choice": middle,
            "choice_first_chapter": first,
            "choice_completing_story": completing,
            "choice_replay": replay,
            "choice_stale_409": stale,
            "purse_release": release,
            "purse_release_overdraw_422": overdraw,
            "get_story": get_story,
            "list_stories": list_stories,
        },
        "savings": {
            "items_written_per_choice": items_per_choice,
            "release_request_ms_moto_in_process": round(release_ms, 2),
        },
    }

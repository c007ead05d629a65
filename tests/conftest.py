"""Shared fixtures: moto in process, tables created from template.yaml itself, a ledger, a caller."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_NAMESPACE": "RewardLedger",
        # metrics on, as in AWS (bench.common, imported by some tests, would otherwise turn them off)
        "POWERTOOLS_METRICS_DISABLED": "false",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
    }
)
os.environ.pop("DYNAMODB_ENDPOINT", None)

import boto3
import pytest
from moto import mock_aws

from infra.apigw import eventbridge_event, http_api_event
from infra.handlers import invoke
from infra.template import create_tables
from reward_ledger import clock, runtime
from reward_ledger.games.seed import seed_games
from reward_ledger.ledger import Ledger
from reward_ledger.wiring import PRODUCT


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Files holding a ``slow`` test run first, then files by their number of tests, most first.

    ``make test`` hands out whole files to two workers in this order (``--dist loadfile
    --no-loadscope-reorder``): a three-minute file handed out last would run alone at the end while the
    other worker idles, so the long ones start first and the short ones fill the gaps."""
    by_file: dict[str, list[pytest.Item]] = {}
    for item in items:
        by_file.setdefault(item.nodeid.split("::", 1)[0], []).append(item)

    def weight(path: str) -> tuple[bool, int]:
        tests = by_file[path]
        return (not any(t.get_closest_marker("slow") for t in tests), -len(tests))

    items[:] = [item for path in sorted(by_file, key=weight) for item in by_file[path]]


@pytest.fixture
def aws() -> Iterator[None]:
    with mock_aws():
        yield


# entries every test environment starts with: the game catalog's seed (one entry, moving no money)
SEED_ENTRIES = 1


@pytest.fixture
def ledger_table(aws: None) -> Iterator[str]:
    """The template's LedgerTable, created under moto from template.yaml, with every model bound to it."""
    client = boto3.client("dynamodb", region_name="us-east-1")
    names = create_tables(client)
    PRODUCT.bind_table(names["LedgerTable"])
    runtime.new_environment()  # each test is a new execution environment: a new ledger, a new memo
    seed_games(PRODUCT.ledger())  # the game catalog is data in the table, seeded as a deploy seeds it
    yield names["LedgerTable"]
    clock.set_now(None)


@pytest.fixture
def ledger(ledger_table: str) -> Ledger:
    """The product's ledger (every resolution hook wired), whose backoff does not sleep."""
    return PRODUCT.ledger(sleep=lambda _seconds: None)


class Api:
    """Calls a function's handler with an HTTP API v2 event, as the gateway would after the JWT check."""

    def __init__(self, function: str) -> None:
        self.function = function

    def call(
        self,
        method: str,
        path: str,
        *,
        user: str | None = "alice",
        route: str | None = None,
        path_parameters: dict[str, str] | None = None,
        query: dict[str, str] | None = None,
        body: Any = None,
        headers: dict[str, str] | None = None,
        claims: dict[str, Any] | None = None,
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        event = http_api_event(
            method,
            path,
            route_key=f"{method} {route or path}",
            path_parameters=path_parameters,
            query=query,
            headers=headers,
            body=body,
            claims=claims if claims is not None else ({"sub": user} if user else None),
        )
        response = invoke(self.function, event)
        payload = json.loads(response["body"]) if response.get("body") else {}
        return response["statusCode"], payload, {k.lower(): v for k, v in response.get("headers", {}).items()}


@pytest.fixture
def accounts_api(ledger_table: str) -> Api:
    return Api("AccountsFunction")


def fund(user: str, amount: int, funding_id: str | None = None) -> Any:
    """Deliver a wallet.funded event to the funding function."""
    detail = {"funding_id": funding_id or f"f-{user}-{amount}", "user_id": user, "amount": amount}
    return invoke("FundingFunction", eventbridge_event("payments", "wallet.funded", detail))

"""The two matchers of the local stack: EventBridge patterns and API Gateway routes."""

from __future__ import annotations

from typing import Any

import pytest

from infra.discovery import Route, load
from infra.events import matches
from infra.gateway import match_route
from tests.local.conftest import FIXTURES

EVENT = {
    "source": "payments",
    "detail-type": "payment.completed",
    "detail": {
        "amount": 2500,
        "category": "offline",
        "tags": ["a", "b"],
        "user": {"tier": "gold"},
        "flag": None,
    },
}


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ({"source": ["payments"]}, True),
        ({"source": ["payments"], "detail-type": ["wallet.funded"]}, False),
        ({"detail-type": [{"prefix": "payment."}]}, True),
        ({"detail-type": [{"suffix": ".completed"}]}, True),
        ({"detail": {"category": [{"anything-but": ["online", "bike"]}]}}, True),
        ({"detail": {"category": [{"anything-but": {"prefix": "off"}}]}}, False),
        ({"detail": {"amount": [{"numeric": [">", 1000, "<=", 2500]}]}}, True),
        ({"detail": {"amount": [{"numeric": ["<", 1000]}]}}, False),
        ({"detail": {"amount": [2500]}}, True),
        ({"detail": {"missing": [{"exists": False}]}}, True),
        ({"detail": {"category": [{"exists": True}]}}, True),
        ({"detail": {"missing": [{"exists": True}]}}, False),
        ({"detail": {"tags": ["b"]}}, True),
        ({"detail": {"user": {"tier": ["gold"]}}}, True),
        ({"detail": {"user": {"tier": ["silver"]}}}, False),
        ({"detail": {"flag": [None]}}, True),
        ({"detail": {"category": [{"equals-ignore-case": "OFFLINE"}]}}, True),
        ({"detail": {"category": [{"wildcard": "off*"}]}}, True),
        ({"$or": [{"source": ["x"]}, {"detail": {"amount": [2500]}}]}, True),
        ({"$or": [{"source": ["x"]}, {"detail": {"amount": [1]}}]}, False),
        ({"detail": {"amount": ["2500"]}}, False),
    ],
)
def test_eventbridge_patterns(pattern: dict[str, Any], expected: bool) -> None:
    assert matches(pattern, EVENT) is expected


ROUTES = [
    Route("GET", "/v1/stories", "Stories"),
    Route("GET", "/v1/stories/{story_id}", "Story"),
    Route("POST", "/v1/games/sessions/{session_id}/result", "Result"),
    Route("POST", "/v1/games/{game_id}/sessions", "Open"),
    Route("ANY", "/files/{proxy+}", "Files"),
    Route("GET", "/files/readme", "Readme"),
]


@pytest.mark.parametrize(
    ("method", "path", "function", "params"),
    [
        ("GET", "/v1/stories", "Stories", {}),
        ("GET", "/v1/stories/", "Stories", {}),
        ("GET", "/v1/stories/first%20date", "Story", {"story_id": "first date"}),
        ("POST", "/v1/games/sessions/s1/result", "Result", {"session_id": "s1"}),
        ("POST", "/v1/games/g1/sessions", "Open", {"game_id": "g1"}),
        ("GET", "/files/readme", "Readme", {}),
        ("DELETE", "/files/a/b/c", "Files", {"proxy": "a/b/c"}),
        ("POST", "/v1/stories", None, None),
        ("GET", "/v1/stories/a/b", None, None),
        ("GET", "/files", None, None),
    ],
)
def test_route_matching(method: str, path: str, function: str | None, params: dict[str, str] | None) -> None:
    found = match_route(ROUTES, method, path)
    if function is None:
        assert found is None
    else:
        assert found is not None
        assert (found[0].function, found[1]) == (function, params)


def test_the_default_route_catches_what_nothing_else_matches() -> None:
    routes = [*ROUTES, Route("ANY", "$default", "Default")]
    found = match_route(routes, "PATCH", "/anything")
    assert found is not None
    assert found[0].function == "Default"
    assert found[0].route_key == "$default"


def test_the_template_is_read_into_local_names() -> None:
    model = load(FIXTURES / "queue_template.yaml")
    flaky = model.functions["FlakyFundingFunction"]
    assert flaky.environment["JOBS_QUEUE_URL"] == "https://sqs.us-east-1.amazonaws.com/123456789012/JobsQueue"
    assert (
        flaky.environment["LEDGER_TABLE"] == model.tables["LedgerTable"]
    )  # a global variable, !Ref resolved
    assert flaky.environment["POWERTOOLS_SERVICE_NAME"] == "flaky"
    assert model.queues["JobsQueue"].dead_letter == "JobsDLQ"
    assert model.queues["JobsQueue"].max_receive_count == 3
    [source] = model.queue_sources
    assert (source.queue, source.function, source.report_batch_item_failures) == (
        "JobsQueue",
        "FlakyFundingFunction",
        True,
    )
    rules = {r.logical_id: r for r in model.rules}
    assert [(t.kind, t.name) for t in rules["JobsRule"].targets] == [("queue", "JobsQueue")]
    assert [(t.kind, t.name) for t in rules["CrashyFunctionCrashRequested"].targets] == [
        ("function", "CrashyFunction")
    ]
    assert {(r.method, r.path, r.authorizer) for r in model.routes} == {
        ("GET", "/v1/me/balances", "JwtAuthorizer"),
        ("GET", "/v1/crashy", "JwtAuthorizer"),
        ("POST", "/v1/crashy/exit", "JwtAuthorizer"),
    }

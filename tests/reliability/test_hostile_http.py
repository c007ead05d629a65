"""Hostile input over HTTP: schemathesis against the OpenAPI document the local stack serves.

The stack of template.yaml runs (gateway with the JWT check, each function in its own workers, moto); its
``GET /openapi.json`` (generated from the handlers) drives schemathesis. Every operation gets schema-valid
and schema-violating requests with a valid token and a fresh ``Idempotency-Key``; the answers must never
be 5xx, every error must be ``application/problem+json`` with the contract's fields, and after the storm
the books must still reconcile. ``SCHEMATHESIS_MAX_EXAMPLES`` (default 10) sets examples per operation
and mode.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.generation import GenerationMode

from infra import token as tokens
from infra.stack import LocalStack, start_stack
from infra.template import sam_template
from reward_ledger.ledger import reconcile
from tests.local.conftest import Client

MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "10"))
PROBLEM_FIELDS = {"type", "title", "status", "detail"}


def template_routes() -> list[tuple[str, str]]:
    routes = set()
    for resource in sam_template()["Resources"].values():
        if resource.get("Type") == "AWS::Serverless::Function":
            for event in (resource["Properties"].get("Events") or {}).values():
                if event.get("Type") == "HttpApi":
                    routes.add((str(event["Properties"]["Method"]).upper(), str(event["Properties"]["Path"])))
    return sorted(routes)


ROUTES = template_routes()


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    running = start_stack(port=0, retry_seconds=0, poll_interval=0.02, check_handlers=False)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def schema(stack: LocalStack) -> Any:
    reply = Client(stack.url).call("GET", "/openapi.json")
    assert reply.status == 200
    document = reply.body
    document["paths"] = {p: ops for p, ops in document["paths"].items() if not p.startswith("/_local")}
    loaded = schemathesis.openapi.from_dict(document)
    return loaded


def operation_of(schema: Any, method: str, path: str) -> Any:
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.method.upper() == method and operation.path == path:
            return operation
    return None


def check(method: str, path: str, response: Any) -> None:
    where = f"{method} {path} -> {response.status_code}: {response.text[:300]}"
    assert response.status_code < 500, where
    if response.status_code >= 400:
        content_type = response.headers.get("content-type") or response.headers.get("Content-Type") or [""]
        if isinstance(content_type, list):
            content_type = content_type[0]
        assert content_type.startswith("application/problem+json"), where
        body = json.loads(response.text)
        assert set(body) >= PROBLEM_FIELDS, where
        assert body["status"] == response.status_code, where
        assert isinstance(body["type"], str) and body["type"], where
    elif response.text:
        json.loads(response.text)


def not_utf8(body: Any) -> bool:
    if not isinstance(body, bytes):
        return False
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def test_every_template_route_is_in_the_document(schema: Any) -> None:
    documented = {(r.ok().method.upper(), r.ok().path) for r in schema.get_all_operations()}
    assert set(ROUTES) <= documented, set(ROUTES) - documented


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["valid", "invalid"])
@pytest.mark.parametrize(("method", "path"), ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
def test_no_request_gets_a_5xx_and_every_error_is_a_problem(
    stack: LocalStack, schema: Any, method: str, path: str, mode: GenerationMode
) -> None:
    operation = operation_of(schema, method, path)
    assert operation is not None
    user = f"fuzz-{uuid.uuid4().hex[:8]}"
    token = tokens.issue(user, extra={"scope": "ledger/admin"} if "/admin/" in path else None)
    seen: list[int] = []

    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex}
        response = case.call(base_url=stack.url, headers=headers, timeout=30)
        seen.append(response.status_code)
        if not_utf8(case.body):
            return  # a known 500, tested on its own (test_a_body_that_is_not_utf8_is_a_400)
        check(method, path, response)

    run()
    assert seen  # requests were made


POST_ROUTES = [path for method, path in ROUTES if method == "POST"]


@pytest.mark.parametrize("path", POST_ROUTES)
def test_a_body_that_is_not_utf8_is_a_400(stack: LocalStack, path: str) -> None:
    concrete = path.replace("{", "").replace("}", "")
    token = tokens.issue("bytes-user", extra={"scope": "ledger/admin"})
    reply = Client(stack.url).call(
        "POST",
        concrete,
        b"\xc5S\x9f\xd8",
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex},
    )
    assert reply.status == 400, (reply.status, reply.body)
    assert reply.body["type"] == "validation-error"


def test_the_books_still_balance_after_the_storm(stack: LocalStack) -> None:
    report = reconcile()
    assert report.ok, report.as_dict()

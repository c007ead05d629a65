"""Helpers of the hostile-input suite: every HTTP route of template.yaml with its function, a plausible
request for each, and a snapshot of the whole table to prove that a refused request moved nothing."""

from __future__ import annotations

import re
from typing import Any

import boto3

from infra.template import sam_template
from tests.conftest import Api
from tests.security.test_auth import BODIES, PATH_VALUES

ADMIN_SCOPE = "ledger/admin"
IDP_SUBS = [
    "auth0|5f7c8ec7c33c6c004bbafe82",
    "google-oauth2|104857600000000000001",
    "émile",
    "用户",
    "a b",
    "#",
]


def function_routes() -> list[tuple[str, str, str]]:
    """``(method, path template, function logical id)`` of every HttpApi route of the template."""
    routes = set()
    for name, resource in sam_template()["Resources"].items():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        for event in (resource["Properties"].get("Events") or {}).values():
            if event.get("Type") == "HttpApi":
                props = event["Properties"]
                routes.add((str(props["Method"]).upper(), str(props["Path"]), name))
    return sorted(routes)


def path_parameters(path: str) -> dict[str, str]:
    return {name: PATH_VALUES.get(name, "x") for name in re.findall(r"\{([^}+]+)\+?\}", path)}


def call_route(
    method: str,
    path: str,
    function: str,
    *,
    sub: str,
    body: Any = None,
    headers: dict[str, str] | None = None,
    key: str = "hostile-1",
    extra_claims: dict[str, Any] | None = None,
) -> tuple[int, dict[str, Any], dict[str, str]]:
    """Call one route in process as ``sub`` (an admin scope too, so operator routes get past 403)."""
    params = path_parameters(path)
    concrete = re.sub(r"\{([^}+]+)\+?\}", lambda m: params[m.group(1)], path)
    sent = {"Idempotency-Key": key, **(headers or {})}
    if body is None and method == "POST":
        body = BODIES.get(path, {})
    claims = {"sub": sub, "scope": ADMIN_SCOPE, **(extra_claims or {})}
    return Api(function).call(
        method,
        concrete,
        route=path,
        path_parameters=params or None,
        body=body,
        headers=sent,
        claims=claims,
    )


def table_snapshot(table: str) -> list[dict[str, Any]]:
    """Every item of the ledger table, sorted: equal snapshots mean nothing moved."""
    client = boto3.client("dynamodb", region_name="us-east-1")
    items: list[dict[str, Any]] = []
    for page in client.get_paginator("scan").paginate(TableName=table):
        items.extend(page["Items"])
    return sorted(items, key=lambda item: (item["pk"]["S"], item["sk"]["S"]))


def assert_problem(status: int, body: dict[str, Any], headers: dict[str, str], *expected: int) -> None:
    assert status in expected, (status, body)
    assert headers.get("content-type") == "application/problem+json", headers
    assert body["status"] == status and {"type", "title", "detail"} <= set(body), body

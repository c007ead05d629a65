"""Helpers of the hostile-input suite: every route of the committed openapi.json with the function that
serves it (template.yaml), a plausible request for each, and a snapshot of the whole table to prove that
a refused request moved nothing."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

import boto3

from infra.template import sam_template
from tests.conftest import Api
from tests.security.test_auth import BODIES, PATH_VALUES

ADMIN_SCOPE = "ledger/admin"
SPEC = Path(__file__).resolve().parents[2] / "openapi.json"
HTTP_METHODS = ("get", "put", "post", "delete", "patch")
#: path parameters that name a user (a hostile ``sub`` goes there too) and an account of a user
USER_PARAMETERS = frozenset({"friend_id"})
HOSTILE_PATH_VALUES = {"account": "user:alice/wallet/CNY"}
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


def spec_routes() -> list[tuple[str, str, str]]:
    """``(method, path template, function)`` of every operation of the committed openapi.json, so a
    route added to the API is covered here without a change; a documented route no function serves
    fails here."""
    served = {(method, path): function for method, path, function in function_routes()}
    routes = []
    for path, item in json.loads(SPEC.read_text())["paths"].items():
        for method in HTTP_METHODS:
            if method in item:
                key = (method.upper(), path)
                assert key in served, f"{key} is in openapi.json but no function of template.yaml serves it"
                routes.append((*key, served[key]))
    return sorted(routes)


def path_parameters(path: str) -> dict[str, str]:
    return {
        name: HOSTILE_PATH_VALUES.get(name, PATH_VALUES.get(name, "x"))
        for name in re.findall(r"\{([^}+]+)\+?\}", path)
    }


def default_body(method: str, path: str) -> Any:
    """A valid body of a POST (``{}`` when the route takes none) or a PUT (None when it takes none)."""
    return BODIES.get(path, {}) if method == "POST" else BODIES.get(path) if method == "PUT" else None


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
    params: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
) -> tuple[int, dict[str, Any], dict[str, str]]:
    """Call one route in process as ``sub`` (an admin scope too, so operator routes get past 403);
    ``params`` override path parameters (sent percent-encoded in the path, as a client must)."""
    params = {**path_parameters(path), **(params or {})}
    concrete = re.sub(r"\{([^}+]+)\+?\}", lambda m: quote(params[m.group(1)], safe=""), path)
    sent = {"Idempotency-Key": key, **(headers or {})}
    if body is None:
        body = default_body(method, path)
    claims = {"sub": sub, "scope": ADMIN_SCOPE, **(extra_claims or {})}
    return Api(function).call(
        method,
        concrete,
        route=path,
        path_parameters=params or None,
        query=query,
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

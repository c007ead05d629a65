"""openapi.json is the production contract: it is what the handlers declare, and it declares enough.

The committed file must equal what ``make openapi`` writes from the code (any route of any branch is
covered: the generator describes every HttpApi route of template.yaml). The shape checks hold for every
``/v1`` operation there is, so a new route is born typed or this fails.
"""

from __future__ import annotations

from typing import Any

import pytest

from infra import spec
from reward_ledger.edge.openapi import KEY_PATTERN, MAX_KEY_LENGTH, problem_slugs

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return spec.committed()


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
    ]


def test_the_committed_spec_is_what_the_handlers_declare(document: dict[str, Any]) -> None:
    assert spec.dumps(spec.build()) == spec.dumps(document), "openapi.json is stale: run `make openapi`"


def test_no_local_route_is_in_the_production_spec(document: dict[str, Any]) -> None:
    assert document["paths"]
    assert not [p for p in document["paths"] if not p.startswith("/v1/")]


def test_every_operation_has_a_typed_success_with_its_real_status(document: dict[str, Any]) -> None:
    for method, path, operation in operations(document):
        success = {code: r for code, r in operation["responses"].items() if code.startswith("2")}
        expected = {"POST": "201", "PUT": "200", "GET": "200", "DELETE": "200"}[method]
        if (method, path) == ("POST", "/v1/withdrawals"):
            expected = "202"
        assert list(success) == [expected], (method, path, list(success))
        schema = success[expected]["content"]["application/json"]["schema"]
        assert "$ref" in schema, (method, path, schema)
        name = schema["$ref"].rsplit("/", 1)[1]
        assert document["components"]["schemas"][name]["properties"], (method, path, name)


def test_every_refusal_is_a_problem_with_the_slugs_of_the_error_classes(document: dict[str, Any]) -> None:
    problem = document["components"]["schemas"]["Problem"]
    assert problem["properties"]["type"]["enum"] == list(problem_slugs())
    assert {"validation-error", "insufficient-funds", "idempotency-conflict"} <= set(problem_slugs())
    for method, path, operation in operations(document):
        refusals = {code: r for code, r in operation["responses"].items() if not code.startswith("2")}
        assert {"400", "401"} <= set(refusals), (method, path)
        if method == "POST":
            assert {"409", "415", "503"} <= set(refusals), (method, path)
        for code, response in refusals.items():
            content = response["content"]
            assert list(content) == ["application/problem+json"], (method, path, code)
            assert content["application/problem+json"]["schema"] == {"$ref": "#/components/schemas/Problem"}
    assert "HTTPValidationError" not in document["components"]["schemas"]


def test_every_post_declares_its_idempotency_key(document: dict[str, Any]) -> None:
    posts = [(path, op) for method, path, op in operations(document) if method == "POST"]
    assert len(posts) >= 15
    for path, operation in posts:
        [header] = [p for p in operation["parameters"] if p["name"] == "Idempotency-Key"]
        assert header["in"] == "header" and header["required"] is True, path
        assert header["schema"]["pattern"] == KEY_PATTERN, path
        assert header["schema"]["maxLength"] == MAX_KEY_LENGTH, path
        assert (
            "Idempotent-Replayed"
            in operation["responses"]["201" if path != "/v1/withdrawals" else "202"]["headers"]
        ), path


def test_x_device_id_is_declared_where_it_is_read(document: dict[str, Any]) -> None:
    operation = document["paths"]["/v1/games/sessions/{session_id}/result"]["post"]
    [header] = [p for p in operation["parameters"] if p["name"] == "X-Device-Id"]
    assert header["required"] is False


def test_pagination_is_declared(document: dict[str, Any]) -> None:
    """Every paged route (a ``cursor`` parameter) bounds its ``limit`` and answers ``next_cursor``."""
    paged = []
    for method, path, operation in operations(document):
        parameters = {p["name"]: p for p in operation.get("parameters") or ()}
        if "cursor" not in parameters:
            continue
        paged.append(path)
        limit = parameters["limit"]["schema"]
        assert (limit["minimum"], limit["maximum"]) == (1, 100), path
        assert parameters["cursor"]["schema"]["anyOf"][0]["maxLength"], path
        ref = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
        page = document["components"]["schemas"][ref.rsplit("/", 1)[1]]
        assert "next_cursor" in page["properties"] and "next_cursor" in page["required"], (method, path)
    assert {"/v1/me/journal", "/v1/admin/accounts/{account}/history"} <= set(paged)


# the CONTRACT puts a user's purchase under the merchant it buys from: any signed-in user may call it
USER_ROUTES_UNDER_MERCHANTS = {("POST", "/v1/merchants/{merchant_id}/gift-cards")}


def test_every_route_is_secured_by_the_bearer_token_and_operator_routes_need_their_scope(
    document: dict[str, Any],
) -> None:
    template_scopes = {(r.method, r.path): r.scopes for r in spec.load(spec.TEMPLATE).routes}
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == spec.BEARER
    assert {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}.items() <= spec.BEARER.items()
    for method, path, operation in operations(document):
        # one requirement per scope the template accepts: any one of them lets the caller in
        alternatives = [requirement["bearerAuth"] for requirement in operation["security"]]
        expected = [[scope] for scope in template_scopes[(method, path)]] or [[]]
        assert alternatives == expected, path
        if path.startswith("/v1/admin/"):
            assert alternatives == [["ledger/admin"]], path
        if path.startswith("/v1/merchants/") and (method, path) not in USER_ROUTES_UNDER_MERCHANTS:
            assert alternatives == [["ledger/merchant"], ["ledger/admin"]], path


def test_a_handler_route_the_template_does_not_serve_is_an_error() -> None:
    model = spec.load(spec.TEMPLATE)
    stray = {"paths": {"/v1/nowhere": {"get": {"responses": {}}}}}
    with pytest.raises(spec.SpecError, match="/v1/nowhere"):
        spec.merge(model, {"AccountsFunction": stray})


def test_one_schema_name_with_two_meanings_is_an_error() -> None:
    model = spec.load(spec.TEMPLATE)
    first = {"paths": {}, "components": {"schemas": {"Body": {"type": "object"}}}}
    second = {"paths": {}, "components": {"schemas": {"Body": {"type": "string"}}}}
    with pytest.raises(spec.SpecError, match="Body"):
        spec.merge(model, {"A": first, "B": second})

"""The OpenAPI document of the whole API, merged from every HTTP function's Powertools resolver.

Each handler module that serves HttpApi routes has a module-level ``app`` (Powertools resolver with
validation); its ``get_openapi_json_schema()`` describes its routes from the handlers' annotations, asked
of the function's own worker (the local stack caches the merged document). The
merged document adds the bearer-token security the template's JWT authorizer requires, and the
local-only ``/_local`` routes (tagged ``local``) so Swagger UI at ``/docs`` can drive events, schedules
and the clock too.
"""

from __future__ import annotations

from typing import Any

from infra.discovery import Route

TITLE = "Reward ledger API (local)"
VERSION = "1.0.0"
SECURITY_SCHEME = "bearerAuth"

SWAGGER_HTML = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Reward ledger API (local)</title>
  <link rel="stylesheet" href="https://unpkg.com/swagger-ui-dist@5/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui">
    <p style="font-family: sans-serif; margin: 2em">Loading Swagger UI from unpkg.com... Offline? The raw
    document is at <a href="/openapi.json">/openapi.json</a>; get a token with <code>make token</code>.</p>
  </div>
  <script src="https://unpkg.com/swagger-ui-dist@5/swagger-ui-bundle.js" crossorigin></script>
  <script>
    window.ui = SwaggerUIBundle({
      url: "/openapi.json",
      dom_id: "#swagger-ui",
      persistAuthorization: true,
      tryItOutEnabled: true,
    });
  </script>
</body>
</html>
"""


def merge(routes: list[Route], documents: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """One document from each HTTP function's own (function logical id -> document)."""
    paths: dict[str, dict[str, Any]] = {}
    schemas: dict[str, Any] = {}
    secured = {(r.method.lower(), r.path) for r in routes if r.authorizer is not None}
    secured_any = {r.path for r in routes if r.authorizer is not None and r.method == "ANY"}
    for function, document in documents.items():
        for path, operations in (document.get("paths") or {}).items():
            for method, operation in operations.items():
                operation = dict(operation)
                operation.setdefault("tags", [function.removesuffix("Function").lower() or function])
                if (method, path) in secured or path in secured_any:
                    operation["security"] = [{SECURITY_SCHEME: []}]
                    operation.setdefault("responses", {}).setdefault(
                        "401", {"description": "Missing, invalid or expired bearer token (problem+json)"}
                    )
                paths.setdefault(path, {})[method] = operation
        for name, schema in ((document.get("components") or {}).get("schemas") or {}).items():
            schemas.setdefault(name, schema)
    paths.update(LOCAL_PATHS)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": TITLE,
            "version": VERSION,
            "description": "Served by the local stack from template.yaml. Get a token with "
            "`make token USER=alice` and press Authorize. Routes tagged `local` exist only locally.",
        },
        "servers": [{"url": "/"}],
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": schemas,
            "securitySchemes": {SECURITY_SCHEME: {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
    }


def _local(
    summary: str, body: dict[str, Any] | None = None, params: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "tags": ["local"],
        "summary": summary,
        "responses": {"200": {"description": "OK"}},
    }
    if body is not None:
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    if params:
        operation["parameters"] = params
    return operation


_FUNCTION_PARAM = [{"name": "function", "in": "path", "required": True, "schema": {"type": "string"}}]

LOCAL_PATHS: dict[str, dict[str, Any]] = {
    "/_local/events": {
        "post": _local(
            "Deliver an event to every function whose EventBridge rule matches",
            {
                "type": "object",
                "required": ["source", "detail-type", "detail"],
                "properties": {
                    "source": {"type": "string", "example": "payments"},
                    "detail-type": {"type": "string", "example": "wallet.funded"},
                    "detail": {
                        "type": "object",
                        "example": {"funding_id": "f-1", "user_id": "alice", "amount": 10000},
                    },
                },
            },
        )
    },
    "/_local/schedules": {"get": _local("List the scheduled functions")},
    "/_local/schedules/{function}": {"post": _local("Run a scheduled function now", params=_FUNCTION_PARAM)},
    "/_local/clock": {
        "get": _local("The instant the app sees"),
        "post": _local(
            "Move the clock the app sees (null: back to the system clock)",
            {
                "type": "object",
                "required": ["now"],
                "properties": {"now": {"type": ["string", "null"], "example": "2030-01-01T00:00:00Z"}},
            },
        ),
    },
    "/_local/queues": {"get": _local("Queue depths (DLQs included) and SQS event source activity")},
    "/_local/queues/{mapping}": {
        "post": _local(
            "Pause or resume an SQS event source mapping",
            {"type": "object", "required": ["enabled"], "properties": {"enabled": {"type": "boolean"}}},
            [{"name": "mapping", "in": "path", "required": True, "schema": {"type": "string"}}],
        )
    },
    "/_local/functions": {"get": _local("Each function's worker processes: pid, cold start, invocations")},
    "/_local/invoke/{function}": {
        "post": _local("Invoke a function with the body as its event", {"type": "object"}, _FUNCTION_PARAM)
    },
}

"""The OpenAPI document the local stack serves: the committed production spec plus the local routes.

The production document (``openapi.json``) is made from the handlers by ``infra/spec.py``
(``make openapi``); this adds the local-only ``/_local`` routes (tagged ``local``) so Swagger UI at
``/docs`` can drive events, schedules and the clock too.
"""

from __future__ import annotations

from typing import Any

from infra import spec

TITLE = "Reward ledger API (local)"
LOCAL_DESCRIPTION = (
    "Served by the local stack: the production document (openapi.json) plus the routes tagged `local`, "
    "which exist only locally. Get a token with `make token USER=alice` and press Authorize."
)

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


def local_document() -> dict[str, Any]:
    """The production document (``openapi.json``, written by ``make openapi``) plus the local routes."""
    document = spec.committed()
    document["info"] = {**document["info"], "title": TITLE, "description": LOCAL_DESCRIPTION}
    document["paths"] = {**document["paths"], **LOCAL_PATHS}
    return document


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

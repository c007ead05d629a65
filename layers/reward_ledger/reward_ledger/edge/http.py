"""HTTP edge: one resolver factory so every function answers errors, auth and replays the same way.

* Errors are RFC 9457 ``application/problem+json`` with a stable ``type`` slug (see ``errors.py``).
* The caller is the verified JWT's ``sub`` (API Gateway's JWT authorizer puts the claims in the request
  context); a body never names the user.
* Every POST needs an ``Idempotency-Key``; keys are scoped per user and route, and a replay answers the
  first status and body with ``Idempotent-Replayed: true``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfoNotFoundError

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError

from reward_ledger.clock import zone
from reward_ledger.config import ledger_settings
from reward_ledger.errors import LedgerError, Unauthorized, ValidationFailed
from reward_ledger.ledger.entries import EntryResult, IdempotencyKey

PROBLEM_JSON = "application/problem+json"
IDEMPOTENCY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
_KEY_PATTERN = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")

logger = Logger(child=True)


def problem(status: int, slug: str, title: str, detail: str, **extra: Any) -> Response[str]:
    body = {"type": slug, "title": title, "status": status, "detail": detail, **extra}
    return Response(status_code=status, content_type=PROBLEM_JSON, body=json.dumps(body))


def _validation_detail(errors: Any) -> list[dict[str, Any]]:
    details = []
    for error in errors or []:
        loc = [str(part) for part in error.get("loc", ())]
        details.append({"field": ".".join(loc), "message": str(error.get("msg", "invalid"))})
    return details


def make_resolver() -> APIGatewayHttpResolver:
    """An HTTP API v2 resolver with validation (OpenAPI) and the project's problem+json errors."""
    app = APIGatewayHttpResolver(enable_validation=True)

    @app.exception_handler(LedgerError)
    def _domain_error(exc: LedgerError) -> Response[str]:
        logger.info("request refused", extra={"problem": exc.slug, "detail": exc.detail})
        return problem(exc.status, exc.slug, exc.title, exc.detail)

    @app.exception_handler(RequestValidationError)
    def _invalid(exc: RequestValidationError) -> Response[str]:
        errors = _validation_detail(exc.errors())
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors) or "invalid request"
        return problem(400, "validation-error", "Invalid request", detail, errors=errors)

    @app.exception_handler(UnicodeDecodeError)
    def _not_utf8(exc: UnicodeDecodeError) -> Response[str]:
        # the validation middleware decodes a binary (base64) body before parsing it as JSON
        return problem(400, "validation-error", "Invalid request", "the body must be UTF-8 encoded JSON")

    @app.not_found
    def _not_found(exc: NotFoundError) -> Response[str]:
        return problem(404, "not-found", "Not found", "no such route")

    @app.exception_handler(Exception)
    def _unexpected(exc: Exception) -> Response[str]:
        logger.exception("unexpected error")
        return problem(500, "internal-error", "Internal error", "unexpected error; nothing was changed twice")

    return app


def caller_id(app: APIGatewayHttpResolver) -> str:
    """The user id from the verified token's ``sub`` claim; 401 when there is none."""
    request_context = app.current_event.raw_event.get("requestContext") or {}
    claims = ((request_context.get("authorizer") or {}).get("jwt") or {}).get("claims") or {}
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub or len(sub) > 128 or "/" in sub:
        raise Unauthorized("a valid bearer token is required")
    return sub


def claims(app: APIGatewayHttpResolver) -> Mapping[str, Any]:
    request_context = app.current_event.raw_event.get("requestContext") or {}
    found = ((request_context.get("authorizer") or {}).get("jwt") or {}).get("claims") or {}
    return found if isinstance(found, Mapping) else {}


def user_zone(app: APIGatewayHttpResolver) -> str:
    """The caller's time zone from the token's OIDC ``zoneinfo`` claim, else the configured default."""
    name = claims(app).get("zoneinfo")
    if isinstance(name, str) and name:
        try:
            zone(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
        else:
            return name
    return ledger_settings().time.default_timezone


def route_key(app: APIGatewayHttpResolver) -> str:
    """``METHOD /path/{template}`` of the matched route: idempotency keys are scoped by it."""
    raw = app.current_event.raw_event.get("routeKey")
    if isinstance(raw, str) and raw and raw != "$default":
        return raw
    return f"{app.current_event.request_context.http.method} {app.current_event.path}"


def idempotency_key(app: APIGatewayHttpResolver, payload: Mapping[str, Any]) -> IdempotencyKey:
    """The request's idempotency key, scoped to the caller and route, over path parameters and body."""
    headers = {k.lower(): v for k, v in (app.current_event.headers or {}).items()}
    key = headers.get(IDEMPOTENCY_HEADER.lower())
    if key is None:
        raise ValidationFailed(f"the {IDEMPOTENCY_HEADER} header is required on every POST")
    if not _KEY_PATTERN.match(key):
        raise ValidationFailed(f"{IDEMPOTENCY_HEADER} must be 1..128 characters of [A-Za-z0-9_.:-]")
    path_params = dict(app.current_event.path_parameters or {})
    scope = f"user:{caller_id(app)}|{route_key(app)}"
    return IdempotencyKey(scope, key, {"path": path_params, "body": dict(payload)})


def json_response(
    status: int, body: Mapping[str, Any], headers: Mapping[str, str] | None = None
) -> Response[str]:
    return Response(
        status_code=status, content_type="application/json", body=json.dumps(dict(body)), headers=headers
    )


def entry_response(result: EntryResult) -> Response[str]:
    """The first result of an entry; a replay says so in ``Idempotent-Replayed``."""
    headers = {REPLAYED_HEADER: "true"} if result.replayed else None
    return json_response(result.status_code, result.response or {"entry_id": result.entry_id}, headers)

"""HTTP edge: one resolver factory so every function answers errors, auth and replays the same way.

* Errors are RFC 9457 ``application/problem+json`` with a stable ``type`` slug (see ``errors.py``).
* The caller is the verified JWT's ``sub`` (API Gateway's JWT authorizer puts the claims in the request
  context); a body never names the user.
* A body is screened (size, media type, JSON depth, integer length) before routing (``edge/body.py``)
  and the ``sub`` is encoded into an account-safe user id (``edge/identity.py``).
* Every POST needs an ``Idempotency-Key``; keys are scoped per user and route, and a replay answers the
  first status and body with ``Idempotent-Replayed: true``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, MutableMapping
from typing import Any
from urllib.parse import unquote
from zoneinfo import ZoneInfoNotFoundError

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from pydantic import BaseModel

from reward_ledger.clock import zone
from reward_ledger.config import ledger_settings
from reward_ledger.edge.body import screen_problem
from reward_ledger.edge.identity import caller_user_id
from reward_ledger.edge.openapi import KEY_PATTERN
from reward_ledger.edge.openapi import PROBLEM_JSON as PROBLEM_JSON
from reward_ledger.edge.openapi import REPLAYED_HEADER as REPLAYED_HEADER
from reward_ledger.errors import InternalError, LedgerError, RateLimited, ValidationFailed
from reward_ledger.ledger.entries import EntryResult, IdempotencyKey
from reward_ledger.observability import count_refusal

IDEMPOTENCY_HEADER = "Idempotency-Key"
_KEY_PATTERN = re.compile(KEY_PATTERN)  # fullmatch: "key\n" is not "key"


def problem_body(status: int, slug: str, title: str, detail: str, **extra: Any) -> str:
    return json.dumps({"type": slug, "title": title, "status": status, "detail": detail, **extra})


def problem(
    status: int, slug: str, title: str, detail: str, headers: Mapping[str, str] | None = None, **extra: Any
) -> Response[str]:
    body = problem_body(status, slug, title, detail, **extra)
    return Response(status_code=status, content_type=PROBLEM_JSON, body=body, headers=headers)


def error_headers(exc: LedgerError) -> dict[str, str] | None:
    """Headers an error answers with: ``Retry-After`` on a 429."""
    return {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else None


def _validation_detail(errors: Any) -> list[dict[str, Any]]:
    details = []
    for error in errors or []:
        loc = [str(part) for part in error.get("loc", ())]
        details.append({"field": ".".join(loc), "message": str(error.get("msg", "invalid"))})
    return details


class EdgeResolver(APIGatewayHttpResolver):
    """The HTTP API resolver of every function.

    * The body is screened (``edge/body.py``) before any route runs: the one place a body is refused
      for its size, media type (415), depth or integer literals.
    * Path parameters as the client meant them: Powertools matches the raw (percent-encoded) path, so
      ``/v1/friends/a%3Ab`` would reach the handler as ``a%3Ab`` instead of ``a:b``.
    """

    def __init__(self) -> None:
        super().__init__(enable_validation=True)
        # The child logger is made here, when the handler module builds its resolver under its own
        # POWERTOOLS_SERVICE_NAME, so it hangs under that function's logger whatever else the process
        # imported first (a module-level child would belong to the first service that imported this module).
        self.edge_logger = Logger(child=True)

    def resolve(self, event: Mapping[str, Any], context: Any) -> dict[str, Any]:
        refused = screen_problem(event) if isinstance(event, MutableMapping) else None
        if refused is None:
            return super().resolve(event, context)
        self.edge_logger.info(
            "request body refused", extra={"problem": refused.slug, "detail": refused.detail}
        )
        count_refusal(refused.slug)
        return {
            "statusCode": refused.status,
            "headers": {"Content-Type": PROBLEM_JSON},
            "body": problem_body(refused.status, refused.slug, refused.title, refused.detail),
            "isBase64Encoded": False,
        }

    def _convert_matches_into_route_keys(self, match: re.Match[str]) -> dict[str, str]:
        return {name: unquote(value) for name, value in match.groupdict().items()}


def make_resolver() -> APIGatewayHttpResolver:
    """An HTTP API v2 resolver with validation (OpenAPI) and the project's problem+json errors."""
    app = EdgeResolver()
    logger = app.edge_logger

    @app.exception_handler(LedgerError)
    def _domain_error(exc: LedgerError) -> Response[str]:
        logger.info("request refused", extra={"problem": exc.slug, "detail": exc.detail})
        count_refusal(exc.slug)
        return problem(exc.status, exc.slug, exc.title, exc.detail, error_headers(exc))

    @app.exception_handler(RequestValidationError)
    def _invalid(exc: RequestValidationError) -> Response[str]:
        count_refusal("validation-error")
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
        return problem(
            InternalError.status,
            InternalError.slug,
            InternalError.title,
            "unexpected error; nothing was changed twice",
        )

    return app


def caller_id(app: APIGatewayHttpResolver) -> str:
    """The caller's account-safe user id, encoded from the verified token's ``sub``; 401 when unusable."""
    return caller_user_id(claims(app))


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
    if not isinstance(key, str) or not _KEY_PATTERN.fullmatch(key):
        raise ValidationFailed(f"{IDEMPOTENCY_HEADER} must be 1..128 characters of [A-Za-z0-9_.:-]")
    path_params = dict(app.current_event.path_parameters or {})
    scope = f"user:{caller_id(app)}|{route_key(app)}"
    return IdempotencyKey(scope, key, {"path": path_params, "body": dict(payload)})


def json_response(status: int, body: BaseModel, headers: Mapping[str, str] | None = None) -> Response[str]:
    """``body`` (the route's response model) as JSON, with only the fields that were set."""
    data = body.model_dump(mode="json", exclude_unset=True)
    return Response(
        status_code=status, content_type="application/json", body=json.dumps(data), headers=headers
    )


def entry_response(result: EntryResult, model: type[BaseModel]) -> Response[str]:
    """The first result of an entry, checked against the route's response ``model`` (a field the code
    set but the model lacks fails here, not in a client); a replay says so in ``Idempotent-Replayed``."""
    headers = {REPLAYED_HEADER: "true"} if result.replayed else None
    body = result.response or {"entry_id": result.entry_id}
    return json_response(result.status_code, model.model_validate(body), headers)

"""What every route declares in the OpenAPI document, in one place, so the document tells the truth.

* ``Problem``: the problem+json body of every refusal; its ``type`` enum is derived from the error
  classes in ``reward_ledger.errors`` (a new error class there appears here without a second list).
* ``IdempotencyKeyHeader`` / ``DeviceIdHeader``: the headers as handler parameters, so the resolver
  validates them (400 ``validation-error``) exactly as the document says.
* ``responses(...)``: the success model with its real status, plus the problem answers of a route.
* ``Reply``: the base of response models (unknown fields are a bug, not a silent extra).
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable
from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Header
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from pydantic import BaseModel, Field, JsonValue

from reward_ledger import errors
from reward_ledger.config import WholeInt as WholeInt
from reward_ledger.replies import Reply

PROBLEM_JSON = "application/problem+json"
KEY_PATTERN = r"^[A-Za-z0-9_.:-]{1,128}$"
MAX_KEY_LENGTH = 128
REPLAYED_HEADER = "Idempotent-Replayed"
# Every route can answer these: a body, path or query the schema refuses; a missing or bad token.
EVERY_ROUTE = (400, 401)
# Every POST can also answer these: a reused key with another body; a body too large or not JSON
# (``edge/body.py``); contention outlasting the retries.
EVERY_POST = (409, 413, 415, 503)


def problem_slugs() -> dict[str, int]:
    """Slug -> status of every error class of the registry, ``reward_ledger.errors`` (the base's
    ``ledger-error`` too: an invariant the ledger finds broken answers it)."""
    found = {
        cls.slug: cls.status
        for cls in vars(errors).values()
        if inspect.isclass(cls) and issubclass(cls, errors.LedgerError)
    }
    return dict(sorted(found.items()))


def one_of(values: Iterable[str]) -> dict[str, JsonValue]:
    """``json_schema_extra`` for a string the domain accepts from a closed set (a catalog's ids): the
    document lists them, so a generated client (and schemathesis) sends only what the API accepts."""
    return {"enum": list(sorted(values))}


class FieldError(Reply):
    field: str = Field(description="dotted location of the refused value", examples=["body.amount"])
    message: str = Field(examples=["Input should be greater than 0"])


class Problem(Reply):
    """RFC 9457 problem details."""

    type: str = Field(
        description="stable machine-readable slug of the refusal",
        json_schema_extra=one_of(problem_slugs()),
        examples=["insufficient-funds"],
    )
    title: str = Field(
        description="short human-readable summary of the slug", examples=["Insufficient funds"]
    )
    status: int = Field(description="the HTTP status, repeated", examples=[422])
    detail: str = Field(description="what was refused and why", examples=["wallet holds 100, needs 500"])
    errors: list[FieldError] | None = Field(default=None, description="per field, for validation-error")


class EntryReply(Reply):
    """A movement that the ledger committed (or replayed)."""

    entry_id: str = Field(description="id of the ledger entry", examples=["k7q2m4x9a1b3c5d7e9f0"])


IdempotencyKeyHeader = Annotated[
    str,
    Header(
        alias="Idempotency-Key",
        pattern=KEY_PATTERN,
        min_length=1,
        max_length=MAX_KEY_LENGTH,
        description="client-chosen key, scoped per user and route: a repeat replays the first answer",
        examples=["choice-2026-12-01-1"],
    ),
]
DeviceIdHeader = Annotated[
    str | None,
    Header(
        alias="X-Device-Id",
        pattern=KEY_PATTERN,
        description="the client device's stable id (anti-fraud: accounts per device)",
    ),
]


def _problem_response(status: int) -> OpenAPIResponse:
    slugs = [slug for slug, code in problem_slugs().items() if code == status]
    return {
        "description": f"problem+json: {', '.join(slugs) or 'refused'}",
        "content": {PROBLEM_JSON: {"model": Problem}},
    }


def link(operation_id: str, **parameters: str) -> dict[str, object]:
    """An OpenAPI link: ``parameters`` of the operation from this answer (``$response.body#/field``)."""
    return {"operationId": operation_id, "parameters": parameters}


def responses(
    model: type[BaseModel],
    status: int = 200,
    *,
    problems: Iterable[int] = (),
    description: str = "",
    links: dict[str, dict[str, object]] | None = None,
) -> dict[int, OpenAPIResponse]:
    """A route's ``responses=``: ``model`` with its success ``status``, then every problem it can answer.

    A POST (status 201/202) gets ``EVERY_POST`` and the ``Idempotent-Replayed`` header on success;
    ``links`` name the operations that take a field of the answer (schemathesis' stateful phase).
    """
    success: OpenAPIResponse = {
        "description": description or model.__doc__ or "OK",
        "content": {"application/json": {"model": model}},
    }
    if links:
        success["links"] = links
    codes = set(EVERY_ROUTE) | set(problems)
    if status in (201, 202):
        codes |= set(EVERY_POST)
        success["headers"] = {
            REPLAYED_HEADER: {
                "description": "`true` when this answer replays the first one for the same key",
                "schema": {"type": "string", "enum": ["true"]},
            }
        }
    return {status: success, **{code: _problem_response(code) for code in sorted(codes)}}


__all__ = [
    "EVERY_POST",
    "EVERY_ROUTE",
    "PROBLEM_JSON",
    "DeviceIdHeader",
    "EntryReply",
    "IdempotencyKeyHeader",
    "Problem",
    "Reply",
    "WholeInt",
    "link",
    "one_of",
    "problem_slugs",
    "responses",
]

"""The request body, screened before routing: every way a body can be unreadable is a 4xx problem.

A body the resolver would choke on never reaches it (or a handler): larger than ``max_bytes`` -> 413
``payload-too-large``; a ``Content-Type`` other than JSON -> 415 ``unsupported-media-type`` (the media
type is compared case-insensitively and may carry parameters: ``APPLICATION/JSON; charset=utf-8`` is
JSON; no header at all is read as JSON, as curl and the tests send it); not UTF-8, not JSON, nested
deeper than ``max_json_depth``, an integer literal longer than ``max_int_digits`` (Python itself raises
past 4,300 digits) or ``NaN``/``Infinity`` -> 400 ``validation-error``. The limits live in
``data/edge.toml``. An accepted body's ``Content-Type`` is rewritten to lower case so the resolver's
own (case-sensitive) check reads it as JSON too; a body-less request's ``Content-Type`` is dropped.
This is the API's one 415.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import MutableMapping
from typing import Any

from reward_ledger.edge.settings import edge_settings
from reward_ledger.errors import LedgerError, PayloadTooLarge, UnsupportedMediaType, ValidationFailed

JSON_MEDIA_TYPE = "application/json"


def json_depth_exceeds(text: str, limit: int) -> bool:
    """Whether arrays/objects nest deeper than ``limit`` (brackets inside strings do not count)."""
    depth = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > limit:
                return True
        elif char in "]}":
            depth -= 1
    return False


def parse_json(text: str) -> Any:
    """``json.loads`` within the edge's limits; ``ValidationFailed`` names what is wrong."""
    limits = edge_settings().body
    if json_depth_exceeds(text, limits.max_json_depth):
        raise ValidationFailed(f"the body nests deeper than {limits.max_json_depth} levels")

    def integer(literal: str) -> int:
        if len(literal.lstrip("-")) > limits.max_int_digits:
            raise ValidationFailed(f"an integer in the body has more than {limits.max_int_digits} digits")
        return int(literal)

    def constant(name: str) -> Any:
        raise ValidationFailed(f"{name} is not a JSON number")

    try:
        return json.loads(text, parse_int=integer, parse_constant=constant)
    except ValueError as exc:  # JSONDecodeError, or a float literal Python cannot read
        raise ValidationFailed("the body is not valid JSON") from exc


def _content_type(headers: MutableMapping[str, Any]) -> tuple[str | None, str | None]:
    for name, value in headers.items():
        if name.lower() == "content-type":
            return name, str(value)
    return None, None


def screen_body(event: MutableMapping[str, Any]) -> None:
    """Refuse (raise a 4xx ``LedgerError``) a body the API cannot read; normalise an accepted one."""
    body = event.get("body")
    if body is None or body == "":
        # nothing to read: a media type names no body, and the resolver must not try a form parser on it
        headers = event.get("headers")
        if isinstance(headers, MutableMapping):
            name, _ = _content_type(headers)
            if name is not None:
                del headers[name]
        return
    limits = edge_settings().body
    if not isinstance(body, str):
        raise ValidationFailed("the body must be text")
    raw: bytes
    if event.get("isBase64Encoded"):
        try:
            raw = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValidationFailed("the body is not valid base64") from exc
    else:
        raw = body.encode("utf-8", "surrogatepass")
    if len(raw) > limits.max_bytes:
        raise PayloadTooLarge(f"bodies are limited to {limits.max_bytes} bytes")
    headers = event.get("headers")
    if not isinstance(headers, MutableMapping):
        headers = {}
        event["headers"] = headers
    name, value = _content_type(headers)
    if value is not None:
        media, _, params = value.partition(";")
        if media.strip().lower() != JSON_MEDIA_TYPE:
            raise UnsupportedMediaType(f"the body must be {JSON_MEDIA_TYPE}, not {media.strip()!r}")
        del headers[str(name)]
        headers["content-type"] = JSON_MEDIA_TYPE + (f";{params.lower()}" if params else "")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValidationFailed("the body must be UTF-8 encoded JSON") from exc
    parse_json(text)


def screen_problem(event: MutableMapping[str, Any]) -> LedgerError | None:
    """The refusal of ``event``'s body, or None when the resolver may read it."""
    try:
        screen_body(event)
    except LedgerError as exc:
        return exc
    return None

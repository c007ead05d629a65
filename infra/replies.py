"""HTTP replies of the local gateway (a status, a body, headers), shared by the API and ``/_local`` routes."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

PROBLEM_JSON = "application/problem+json"


@dataclass
class Reply:
    status: int
    body: bytes = b""
    content_type: str | None = "application/json"
    headers: list[tuple[str, str]] | None = None
    function: str | None = None


def json_reply(status: int, body: Any, content_type: str = "application/json", **kw: Any) -> Reply:
    return Reply(status, json.dumps(body, default=str).encode(), content_type, **kw)


def problem(status: int, slug: str, title: str, detail: str, **extra: Any) -> Reply:
    body = {"type": slug, "title": title, "status": status, "detail": detail, **extra}
    return json_reply(status, body, PROBLEM_JSON)

"""The local stack on a free port (every function in its own worker process); tests talk to it over HTTP."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest

from infra import token as tokens
from infra.stack import LocalStack, start_stack

FIXTURES = Path(__file__).parent / "fixtures"
T = TypeVar("T")


@dataclass
class Reply:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


class Client:
    def __init__(self, url: str) -> None:
        self.url = url

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        user: str | None = None,
        token: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        sent = dict(headers or {})
        if user is not None:
            token = tokens.issue(user)
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        data = None
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            sent.setdefault("Content-Type", "application/json")
        request = urllib.request.Request(self.url + path, data=data, method=method, headers=sent)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=90) as response:  # noqa: S310 (http to 127.0.0.1)
                raw, status, got = response.read(), response.status, response.headers
        except urllib.error.HTTPError as error:
            raw, status, got = error.read(), error.code, error.headers
        text = raw.decode()
        try:
            parsed: Any = json.loads(text) if text else None
        except json.JSONDecodeError:
            parsed = text
        return Reply(status, parsed, {k.lower(): v for k, v in got.items()})

    def balances(self, user: str) -> dict[str, int]:
        reply = self.call("GET", "/v1/me/balances", user=user)
        assert reply.status == 200, reply.body
        return {b["book"]: b["balance"] for b in reply.body["balances"] if b["asset"] in ("CNY",)}

    def event(self, source: str, detail_type: str, detail: dict[str, Any]) -> Reply:
        return self.call(
            "POST", "/_local/events", {"source": source, "detail-type": detail_type, "detail": detail}
        )


def eventually(probe: Callable[[], T], done: Callable[[T], bool], timeout: float = 30.0) -> T:
    """Poll ``probe`` until ``done`` holds (background SQS delivery), failing after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if done(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not reached within {timeout}s; last value: {value!r}")
        time.sleep(0.05)


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    """The stack of template.yaml; failed SQS messages come back at once (retry_seconds=0). The start-up
    import check is skipped (``test_every_handler_in_the_template_imports_alone`` runs it once)."""
    running = start_stack(port=0, retry_seconds=0, poll_interval=0.02, check_handlers=False)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def client(stack: LocalStack) -> Client:
    return Client(stack.url)

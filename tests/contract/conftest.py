"""The contract suite: the committed openapi.json against the code and against the running API."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from infra.stack import LocalStack, start_stack
from tests.local.conftest import Client


@pytest.fixture(scope="package")  # one stack for the whole contract suite: it starts in seconds, not zero
def stack() -> Iterator[LocalStack]:
    running = start_stack(port=0, retry_seconds=0, poll_interval=0.02)
    yield running
    running.stop()


@pytest.fixture(scope="package")
def client(stack: LocalStack) -> Client:
    return Client(stack.url)


def fund(client: Client, user: str, *, cny: int = 1_000_000, payments: int = 3) -> None:
    """Give ``user`` wallet money and what payments grant (oxygen lots, feed, treasure boxes)."""
    reply = client.event(
        "payments", "wallet.funded", {"funding_id": f"fund-{user}", "user_id": user, "amount": cny}
    )
    assert reply.status == 200, reply.body
    for n in range(payments):
        detail = {
            "payment_id": f"pay-{user}-{n}",
            "user_id": user,
            "amount": 50_000,
            "category": "offline",
            "occurred_at": "2026-01-01T08:00:00Z",
        }
        assert client.event("payments", "payment.completed", detail).status == 200

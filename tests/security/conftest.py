"""Security fixtures: the local stack of template.yaml (gateway with the JWT check) started in process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.stack import LocalStack, start_stack
from tests.local.conftest import Client


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    running = start_stack(port=0, retry_seconds=0, poll_interval=0.02)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def client(stack: LocalStack) -> Client:
    return Client(stack.url)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The local JWT secret is short on purpose: PyJWT's key-length warning is noise here."""
    for item in items:
        if item.path.is_relative_to(Path(__file__).parent):
            item.add_marker(pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning"))

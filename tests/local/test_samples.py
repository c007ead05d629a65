"""events/<Function>/*.json: one sample at least per function of template.yaml, each accepted by its handler.

Every sample is invoked through the local stack (``POST /_local/invoke/{function}``, moto behind it):
an HTTP sample must get a non-5xx answer that is not a validation error; any other sample must not make
its handler raise a validation error (a sample may name things that do not exist locally, such as a
withdrawal for the withdrawal worker: the handler then fails for that reason, not for the sample's shape).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from infra.discovery import load
from infra.template import ROOT
from tests.local.conftest import Client

EVENTS = ROOT / "events"
SAMPLES = sorted(EVENTS.glob("*/*.json"))
# how a handler failing on the shape of its input shows in the error (pydantic, the edge, plain parsing)
VALIDATION_MARKERS = (
    "ValidationError",
    "ValidationFailed",
    "validation error",
    "JSONDecodeError",
    "KeyError",
    "invalid event",
)


def test_every_function_has_a_sample_and_every_sample_a_function() -> None:
    functions = set(load().functions)
    with_samples = {p.parent.name for p in SAMPLES}
    assert not functions - with_samples, (
        f"functions without events/<Function>/*.json: {sorted(functions - with_samples)}"
    )
    assert not with_samples - functions, (
        f"samples for functions not in template.yaml: {sorted(with_samples - functions)}"
    )


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_each_sample_parses_through_its_handler(client: Client, sample: Path) -> None:
    event = json.loads(sample.read_text())
    reply = client.call("POST", f"/_local/invoke/{sample.parent.name}", event)
    if event.get("version") != "2.0" and reply.status == 502:
        detail = reply.body["detail"]
        assert not any(marker in detail for marker in VALIDATION_MARKERS), (
            f"{sample.name} does not parse: {detail}"
        )
        return
    assert reply.status == 200, f"{sample.name}: the handler raised: {reply.body}"
    if event.get("version") == "2.0":
        assert reply.body["statusCode"] < 500, reply.body
        problem = json.loads(reply.body.get("body") or "{}")
        assert problem.get("type") != "validation-error", problem
    if "Records" in event:
        assert not (reply.body or {}).get("batchItemFailures"), reply.body

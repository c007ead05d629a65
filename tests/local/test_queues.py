"""SQS event sources through HTTP: a test-only template routes events to a queue feeding a flaky consumer.

The consumer funds wallets and fails on purpose (``fail_times``: reported in ``batchItemFailures``;
``crash_times``: raises, failing the whole batch), so redelivery, partial batch failures and the redrive
to the DLQ show in the balances and queue depths read over HTTP.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from infra.stack import LocalStack, start_stack
from tests.local.conftest import FIXTURES, Client, eventually


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    running = start_stack(
        port=0,
        template=FIXTURES / "queue_template.yaml",
        retry_seconds=0,
        poll_interval=0.02,
        check_handlers=False,
    )
    yield running
    running.stop()


def job(client: Client, user: str, amount: int, **faults: int) -> str:
    funding_id = f"job-{uuid.uuid4().hex}"
    detail = {"funding_id": funding_id, "user_id": user, "amount": amount, **faults}
    reply = client.event("tests.jobs", "fund.requested", detail)
    assert reply.status == 200, reply.body
    [delivery] = reply.body["deliveries"]
    assert delivery["kind"] == "queue"
    assert delivery["target"] == "JobsQueue"
    return funding_id


def report(client: Client) -> dict[str, Any]:
    body = client.call("GET", "/_local/queues").body
    queues = {q["queue"]: q for q in body["queues"]}
    [source] = body["sources"]
    return {"jobs": queues["JobsQueue"], "dlq": queues["JobsDLQ"], "source": source}


def wallet(client: Client, user: str) -> int:
    return client.balances(user)["wallet"]


def test_a_queued_event_reaches_its_consumer(client: Client) -> None:
    user = f"q-{uuid.uuid4().hex[:10]}"
    job(client, user, 300)
    assert eventually(lambda: wallet(client, user), lambda w: w == 300) == 300


def test_a_message_reported_as_failed_is_redelivered_and_applied_once(client: Client) -> None:
    user = f"q-{uuid.uuid4().hex[:10]}"
    retried_before = report(client)["source"]["retried"]
    job(client, user, 400, fail_times=1)
    job(client, user, 50)  # a healthy neighbour: deleted at once, never retried
    eventually(lambda: wallet(client, user), lambda w: w == 450)
    state = eventually(lambda: report(client), lambda r: r["jobs"]["visible"] + r["jobs"]["in_flight"] == 0)
    assert state["source"]["retried"] == retried_before + 1
    assert wallet(client, user) == 450


def test_a_crashing_batch_comes_back_whole_and_is_applied_once(client: Client) -> None:
    user = f"q-{uuid.uuid4().hex[:10]}"
    job(client, user, 700, crash_times=2)
    eventually(lambda: wallet(client, user), lambda w: w == 700)
    state = eventually(lambda: report(client), lambda r: r["jobs"]["visible"] + r["jobs"]["in_flight"] == 0)
    assert any("crash on receive 2" in e for e in state["source"]["recent_errors"])
    assert wallet(client, user) == 700


def test_a_worker_that_exits_mid_batch_is_replaced_and_the_batch_redelivered_once(client: Client) -> None:
    """The process ends (not an exception): Lambda reports a failed invocation, SQS redelivers the
    batch, a new worker (cold start) applies it."""
    user = f"q-{uuid.uuid4().hex[:10]}"
    job(client, user, 800, exit_times=1)
    eventually(lambda: wallet(client, user), lambda w: w == 800)
    state = eventually(lambda: report(client), lambda r: r["jobs"]["visible"] + r["jobs"]["in_flight"] == 0)
    assert any("exited with status 3" in e for e in state["source"]["recent_errors"])
    [flaky] = [
        f
        for f in client.call("GET", "/_local/functions").body["functions"]
        if f["name"] == "FlakyFundingFunction"
    ]
    assert flaky["crashes"] >= 1
    assert flaky["cold_starts"] >= 2
    assert wallet(client, user) == 800


def test_a_message_failing_max_receive_count_times_moves_to_the_dlq(client: Client) -> None:
    user = f"q-{uuid.uuid4().hex[:10]}"
    dlq_before = report(client)["dlq"]["visible"]
    job(client, user, 900, fail_times=99)
    # moving a message to the DLQ is a send there and then a delete here: the two counts are read apart
    state = eventually(
        lambda: report(client),
        lambda r: (
            r["dlq"]["visible"] == dlq_before + 1 and r["jobs"]["visible"] + r["jobs"]["in_flight"] == 0
        ),
    )
    assert state["dlq"]["visible"] == dlq_before + 1
    assert wallet(client, user) == 0


def test_events_not_matching_the_rule_pattern_are_not_queued(client: Client) -> None:
    reply = client.event("tests.jobs", "refund.requested", {"funding_id": "x", "user_id": "u", "amount": 1})
    assert reply.status == 200
    assert reply.body["matched_rules"] == []

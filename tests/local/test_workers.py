"""Each function runs in worker processes of its own, as Lambda runs it (a test-only template with the
real accounts function and a function that can crash its worker).

What a worker can reach (modules, ``sys.path``, variables), its role enforced at the embedded AWS, the
moved clock reaching it, cold starts and invocations in ``GET /_local/functions``, a crash answered 502
and the next invocation served by a new worker, concurrency up to the function's reserved concurrency.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from infra.discovery import load
from infra.stack import LocalStack, start_stack
from infra.template import LOCAL_REGION, ROOT
from infra.worker_env import access_key
from tests.local.conftest import FIXTURES, Client

TEMPLATE = FIXTURES / "queue_template.yaml"
LAMBDA_VARIABLES = {
    "PATH", "LANG", "TZ", "LC_CTYPE", "LAMBDA_TASK_ROOT", "AWS_EXECUTION_ENV", "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_LOG_GROUP_NAME",
    "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
}  # fmt: skip
LOCAL_ONLY_VARIABLES = {
    "AWS_ENDPOINT_URL",
    "AWS_SAM_LOCAL",
    "LOCAL_CLOCK_FILE",
    "POWERTOOLS_METRICS_DISABLED",
}


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    running = start_stack(
        port=0, template=TEMPLATE, retry_seconds=0, poll_interval=0.02, check_handlers=False
    )
    yield running
    running.stop()


def functions(client: Client) -> dict[str, dict[str, Any]]:
    reply = client.call("GET", "/_local/functions")
    assert reply.status == 200, reply.body
    return {f["name"]: f for f in reply.body["functions"]}


def test_a_cold_worker_reaches_only_its_code_the_layer_and_its_own_variables(stack: LocalStack) -> None:
    function = load(TEMPLATE).functions["AccountsFunction"]
    held = stack.inspect("AccountsFunction")
    leaked = [m for m in held["modules"] if m.split(".")[0] in ("infra", "tests")]
    assert leaked == []
    assert "reward_ledger" in held["modules"]
    assert held["path"][0] == str(function.code_dir)
    assert str(ROOT) not in held["path"]
    # beyond its code: the interpreter's and the installed packages' folders (the layer is installed)
    assert not any(p.startswith(str(ROOT)) and not p.startswith(sys.prefix) for p in held["path"][1:])
    assert set(held["environment"]) <= LAMBDA_VARIABLES | LOCAL_ONLY_VARIABLES | set(function.environment)
    assert "LEDGER_TABLE" in held["environment"]


def test_the_functions_report_shows_each_worker_its_cold_start_and_invocations(client: Client) -> None:
    before = functions(client)["CrashyFunction"]
    pid = client.call("GET", "/v1/crashy", user="dave").body["pid"]
    client.call("GET", "/v1/crashy", user="dave")
    after = functions(client)["CrashyFunction"]
    assert after["invocations"] == before["invocations"] + 2
    assert pid in [w["pid"] for w in after["workers"]]
    assert after["cold_start_ms"] > 0
    assert functions(client)["FlakyFundingFunction"]["pid"] is None  # never invoked: never started


def test_a_worker_that_crashes_answers_502_and_the_next_request_gets_a_new_worker(client: Client) -> None:
    first = client.call("GET", "/v1/crashy", user="dave").body["pid"]
    crashes = functions(client)["CrashyFunction"]["crashes"]
    crashed = client.call("POST", "/v1/crashy/exit", {}, user="dave")
    assert crashed.status == 502
    assert crashed.body == {"message": "Bad Gateway"}
    served = client.call("GET", "/v1/crashy", user="dave")
    assert served.status == 200
    report = functions(client)["CrashyFunction"]
    assert report["crashes"] == crashes + 1
    assert served.body["pid"] != first or first not in [w["pid"] for w in report["workers"]]


def test_an_event_whose_target_crashes_is_retried_then_reported_and_a_new_worker_serves_the_next(
    client: Client,
) -> None:
    crashes = functions(client)["CrashyFunction"]["crashes"]
    failed = client.event("tests.crash", "crash.requested", {"exit": True})
    assert failed.status == 502, failed.body
    [delivery] = failed.body["failed"]
    assert delivery["attempts"] == 3  # the first try and MaximumRetryAttempts (2), as Lambda retries
    assert "exited with status 3" in delivery["error"]
    assert functions(client)["CrashyFunction"]["crashes"] == crashes + 3
    served = client.event("tests.crash", "crash.requested", {"exit": False})
    assert served.status == 200, served.body
    assert served.body["deliveries"][0]["result"]["pid"] in [
        w["pid"] for w in functions(client)["CrashyFunction"]["workers"]
    ]


def test_parallel_requests_run_in_separate_workers_up_to_the_reserved_concurrency(client: Client) -> None:
    pids: list[int] = []

    def busy() -> None:
        reply = client.call("GET", "/v1/crashy?hold=1.0", user="dave")
        assert reply.status == 200, reply.body
        pids.append(reply.body["pid"])

    threads = [threading.Thread(target=busy) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(pids) == 5
    assert len(set(pids)) == 4  # ReservedConcurrentExecutions: 4; the fifth waited for a free worker


def test_the_moved_clock_reaches_the_workers(client: Client) -> None:
    moved = client.call("POST", "/_local/clock", {"now": "2031-05-06T07:08:09Z"})
    try:
        assert moved.status == 200, moved.body
        assert client.call("GET", "/v1/crashy", user="dave").body["now"] == "2031-05-06T07:08:09.000Z"
    finally:
        client.call("POST", "/_local/clock", {"now": None})
    assert not client.call("GET", "/v1/crashy", user="dave").body["now"].startswith("2031-05-06")


def test_a_workers_role_is_enforced_by_the_embedded_aws(stack: LocalStack) -> None:
    """Calls signed with a function's credentials are checked against its role, as AWS checks them."""

    def as_function(service: str, logical_id: str) -> Any:
        return boto3.client(
            service,
            region_name=LOCAL_REGION,
            endpoint_url=stack.aws_url,
            aws_access_key_id=access_key(logical_id),
            aws_secret_access_key="local",
            aws_session_token="local",
        )

    table = stack.model.tables["LedgerTable"]
    key = {"pk": {"S": "nobody"}, "sk": {"S": "nothing"}}
    reader = as_function("dynamodb", "AccountsFunction")
    assert "Item" not in reader.get_item(TableName=table, Key=key)  # its role allows GetItem
    with pytest.raises(ClientError) as refused:
        reader.put_item(TableName=table, Item=key)
    assert refused.value.response["Error"]["Code"] == "AccessDeniedException"
    assert "dynamodb:PutItem" in refused.value.response["Error"]["Message"]
    queue = stack.model.queues["JobsQueue"].url
    with pytest.raises(ClientError) as not_sqs:
        as_function("sqs", "AccountsFunction").send_message(QueueUrl=queue, MessageBody="{}")
    assert not_sqs.value.response["Error"]["Code"] == "AccessDeniedException"
    writer = as_function("dynamodb", "FlakyFundingFunction")
    writer.put_item(TableName=table, Item=key)  # its role allows PutItem

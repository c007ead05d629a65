"""One cold start in this fresh interpreter: the import, then (optionally) the first invocation.

Run by ``bench/bench_coldstart.py`` as a script (``python bench/coldpath_probe.py TARGET [EVENT]``),
never imported by the project: it imports nothing but the standard library's ``sys``, ``time`` and
``importlib.util`` before its clock starts, so whatever the target imports is paid inside the timing.

TARGET is ``boto3``, ``code:<python source>`` or a handler file (loaded as Lambda loads ``CodeUri/Handler``).
With EVENT (a JSON file) the cold path goes on after the import: the handler is called once with that
event, as Lambda's first invocation of a new execution environment. AWS is short-circuited where the
request would leave the process: botocore's HTTP session answers every request with a canned HTTP 200
of the operation's empty shape (an item not found, an empty query page, a committed transaction, a
queued message, an SSM parameter), so the first call still builds its clients (service models,
endpoint rules, credentials), serialises, signs and parses, but spends no network time. What that
answer makes the handler do (a 404 for a friend who is not one, a 201 for a committed entry) is printed
with the figures, so the path measured is on record. The target ``boto3`` with an EVENT makes one
DynamoDB ``GetItem`` through a plain client: the first call of a function written with boto3 alone;
``traced-getitem`` (the library floors) imports the X-Ray SDK and patches botocore first, as a traced
function's first call does.

Prints one line: import wall and CPU seconds, cold-path wall and CPU seconds, and the outcome.
"""

from __future__ import annotations

import importlib.util
import sys
import time

# the Lambda context object's attributes that Powertools and the handlers read
_CONTEXT = {
    "function_name": "bench",
    "function_version": "$LATEST",
    "invoked_function_arn": "arn:aws:lambda:us-east-1:000000000000:function:bench",
    "memory_limit_in_mb": 512,
    "aws_request_id": "00000000-0000-0000-0000-000000000001",
    "log_group_name": "/aws/lambda/bench",
    "log_stream_name": "bench",
}


class _Context:
    def __init__(self) -> None:
        self.__dict__.update(_CONTEXT)

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


class _Raw:
    """What botocore reads an HTTP body from."""

    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_: object) -> list[bytes]:
        return [self.body]


def _list(value: object) -> list[object]:
    return list(value) if isinstance(value, (list, dict)) else []


def _parameter(name: object) -> dict[str, object]:
    return {"Name": name, "Type": "SecureString", "Value": "bench-" + "0" * 32, "Version": 1}


def _canned(target: str, request: dict[str, object]) -> dict[str, object]:
    """The operation's empty answer (JSON protocols: DynamoDB, SQS, SSM, EventBridge)."""
    operation = target.rsplit(".", 1)[-1]
    entries = _list(request.get("Entries"))
    answers: dict[str, dict[str, object]] = {
        "GetParameter": {"Parameter": _parameter(request.get("Name", "bench"))},
        "GetParameters": {
            "Parameters": [_parameter(n) for n in _list(request.get("Names"))],
            "InvalidParameters": [],
        },
        "PutEvents": {
            "FailedEntryCount": 0,
            "Entries": [{"EventId": f"bench-{i}"} for i in range(len(entries))],
        },
        "SendMessage": {"MessageId": "bench"},
        "SendMessageBatch": {
            "Successful": [{"Id": e.get("Id"), "MessageId": "bench"} for e in entries if isinstance(e, dict)],
            "Failed": [],
        },
        "Query": {"Items": [], "Count": 0, "ScannedCount": 0},
        "Scan": {"Items": [], "Count": 0, "ScannedCount": 0},
        "BatchGetItem": {
            "Responses": {t: [] for t in _list(request.get("RequestItems"))},
            "UnprocessedKeys": {},
        },
        "BatchWriteItem": {"UnprocessedItems": {}},
    }
    return answers.get(operation, {})


def _short_circuit_aws(calls: list[str]) -> None:
    """botocore's HTTP session answers in process (imported here, inside the timing, as a first AWS
    call would import it)."""
    import json

    from botocore.awsrequest import AWSResponse
    from botocore.httpsession import URLLib3Session

    def send(self: object, request: object) -> AWSResponse:
        headers = getattr(request, "headers", {})
        target = headers.get("X-Amz-Target", b"")
        target = target.decode() if isinstance(target, bytes) else str(target)
        raw_body = getattr(request, "body", None) or b"{}"
        try:
            body = json.loads(raw_body)
        except (TypeError, ValueError):
            body = {}
        calls.append(target.rsplit(".", 1)[-1] or str(getattr(request, "url", "")))
        answer = json.dumps(_canned(target, body if isinstance(body, dict) else {})).encode()
        reply_headers = {"Content-Type": "application/x-amz-json-1.0", "x-amzn-RequestId": "bench"}
        return AWSResponse(getattr(request, "url", ""), 200, reply_headers, _Raw(answer))

    URLLib3Session.send = send


def _outcome(result: object) -> str:
    if isinstance(result, dict) and "statusCode" in result:
        return f"http-{result['statusCode']}"
    if isinstance(result, dict) and "batchItemFailures" in result:
        return f"batch-failures-{len(result['batchItemFailures'])}"
    return "returned"


def main(argv: list[str]) -> None:
    target = argv[1]
    first_call = argv[2] if len(argv) > 2 else None
    event_text = None
    if first_call is not None and first_call not in ("getitem", "traced-getitem"):
        with open(first_call, encoding="utf-8") as event_file:
            event_text = event_file.read()
    calls: list[str] = []
    started, cpu_started = time.perf_counter(), time.process_time()
    handler = None
    if target == "boto3":
        import boto3
    elif target.startswith("code:"):
        exec(target[5:])  # noqa: S102 (a constant from bench_coldstart.FLOORS)
    else:
        spec = importlib.util.spec_from_file_location("app", target)
        module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
        sys.modules["app"] = module
        spec.loader.exec_module(module)  # type: ignore[union-attr]
        handler = module.lambda_handler
    imported, cpu_imported = time.perf_counter(), time.process_time()
    outcome = "-"
    if first_call is not None:
        import json

        _short_circuit_aws(calls)
        if handler is None:  # the libraries alone: one GetItem, as a bare boto3 function's first call
            import boto3

            dynamodb = boto3.client("dynamodb")
            if first_call == "traced-getitem":  # what a traced handler's first call loads: the X-Ray SDK
                from aws_xray_sdk.core import patch, xray_recorder

                patch(("botocore",))
                with xray_recorder.in_subsegment("## floor"):
                    dynamodb.get_item(TableName="LedgerTable", Key={"PK": {"S": "a"}, "SK": {"S": "b"}})
            else:
                dynamodb.get_item(TableName="LedgerTable", Key={"PK": {"S": "a"}, "SK": {"S": "b"}})
            outcome = "returned"
        else:
            try:
                outcome = _outcome(handler(json.loads(event_text or "{}"), _Context()))
            except Exception as exc:  # a worker's failure is a finding to print, not a crash of the bench
                outcome = f"raised-{type(exc).__name__}"
    done, cpu_done = time.perf_counter(), time.process_time()
    figures = (imported - started, cpu_imported - cpu_started, done - started, cpu_done - cpu_started)
    print(" ".join(f"{value:.6f}" for value in figures), outcome, ",".join(calls) or "-")


if __name__ == "__main__":
    main(sys.argv)

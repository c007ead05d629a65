"""Sample events for every function: ``events/<FunctionLogicalId>/<name>.json``.

``python -m infra.samples`` writes a skeleton for each function of the template that has no sample yet
(an HTTP API v2 request for HTTP functions, the EventBridge event of each rule, the scheduled event of
each schedule, an SQS batch for queue consumers) and lists the ones it wrote. Event details and message
bodies are placeholders (``{}``): fill them with a valid payload, since a test invokes every sample
through its handler. With Docker and the SAM CLI: ``sam local invoke FundingFunction -e
events/FundingFunction/wallet-funded.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from infra.apigw import http_api_event
from infra.discovery import StackModel, load
from infra.template import ROOT, TEMPLATE

EVENTS_DIR = ROOT / "events"
SAMPLE_TIME = "2030-01-01T00:00:00Z"


def _fixed(event: dict[str, Any]) -> dict[str, Any]:
    """Deterministic ids and times, so a regenerated sample does not churn."""
    if "requestContext" in event:
        event["requestContext"].update(
            {"requestId": "sample-request", "time": "01/Jan/2030:00:00:00 +0000", "timeEpoch": 1893456000000}
        )
    if event.get("version") == "0":
        event.update({"id": "00000000-0000-0000-0000-000000000000", "time": SAMPLE_TIME})
    return event


def http_sample(method: str, path: str) -> dict[str, Any]:
    params = {seg[1:-1].rstrip("+"): "sample" for seg in path.split("/") if seg.startswith("{")}
    concrete = path
    for name in params:
        concrete = concrete.replace("{" + name + "}", "sample").replace("{" + name + "+}", "sample")
    headers = {"content-type": "application/json", "authorization": "Bearer <local token>"}
    body: dict[str, Any] | None = None
    if method in ("POST", "PUT", "PATCH"):
        headers["idempotency-key"] = "sample-1"
        body = {}
    return _fixed(
        http_api_event(
            method,
            concrete,
            route_key=f"{method} {path}",
            path_parameters=params or None,
            headers=headers,
            body=body,
            claims={"sub": "alice"},
        )
    )


def eventbridge_sample(pattern: dict[str, Any]) -> dict[str, Any]:
    source = (pattern.get("source") or ["sample"])[0]
    detail_type = (pattern.get("detail-type") or ["sample"])[0]
    return _fixed(
        {
            "version": "0",
            "id": "",
            "detail-type": detail_type,
            "source": source,
            "account": "123456789012",
            "time": "",
            "region": "us-east-1",
            "resources": [],
            "detail": {},
        }
    )


def scheduled_sample(rule: str) -> dict[str, Any]:
    event = eventbridge_sample({"source": ["aws.events"], "detail-type": ["Scheduled Event"]})
    event["resources"] = [f"arn:aws:events:us-east-1:123456789012:rule/{rule}"]
    return event


def sqs_sample(queue_arn: str) -> dict[str, Any]:
    return {
        "Records": [
            {
                "messageId": "00000000-0000-0000-0000-000000000001",
                "receiptHandle": "sample-receipt-handle",
                "body": "{}",
                "attributes": {
                    "ApproximateReceiveCount": "1",
                    "SentTimestamp": "1893456000000",
                    "SenderId": "123456789012",
                    "ApproximateFirstReceiveTimestamp": "1893456000000",
                },
                "messageAttributes": {},
                "md5OfBody": "99914b932bd37a50b983c5e7c90ae93b",
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": "us-east-1",
            }
        ]
    }


def skeletons(model: StackModel) -> dict[str, dict[str, dict[str, Any]]]:
    """Function logical id -> sample name -> event, for every function of the template."""
    out: dict[str, dict[str, dict[str, Any]]] = {f: {} for f in model.functions}
    for function in model.functions:
        routes = [r for r in model.routes if r.function == function and r.path != "$default"]
        route = next((r for r in routes if r.method == "GET"), routes[0] if routes else None)
        if route is not None:
            method = "GET" if route.method == "ANY" else route.method
            name = f"{method.lower()}-" + "-".join(s.strip("{}+") for s in route.path.split("/") if s)
            out[function][name] = http_sample(method, route.path)
    for rule in model.rules:
        for target in rule.targets:
            if target.kind == "function":
                name = (
                    str((rule.pattern.get("detail-type") or [rule.logical_id])[0]).replace(".", "-").lower()
                )
                out[target.name][name] = eventbridge_sample(rule.pattern)
    for schedule in model.schedules:
        if schedule.target.kind == "function":
            out[schedule.target.name]["scheduled"] = scheduled_sample(schedule.logical_id)
    for source in model.queue_sources:
        out[source.function]["sqs-batch"] = sqs_sample(model.queues[source.queue].arn)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.samples", description=__doc__.splitlines()[0])
    parser.add_argument("--template", type=Path, default=TEMPLATE)
    parser.add_argument("--out", type=Path, default=EVENTS_DIR)
    args = parser.parse_args(argv)
    model = load(args.template)
    wrote = []
    for function, samples in sorted(skeletons(model).items()):
        folder = args.out / function
        if folder.is_dir() and any(folder.glob("*.json")):
            continue
        folder.mkdir(parents=True, exist_ok=True)
        for name, event in samples.items():
            path = folder / f"{name}.json"
            path.write_text(json.dumps(event, indent=2) + "\n")
            wrote.append(str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path))
    sys.stdout.write("".join(f"wrote {w}\n" for w in wrote) or "every function has samples\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The local-only routes (absent in AWS), under ``/_local``:

* ``POST /_local/events`` ``{"source", "detail-type", "detail"}`` (or a list of them): delivered to every
  rule of the template whose pattern matches; 200 with each delivery, 502 when a target failed.
* ``GET /_local/schedules``: the scheduled functions; ``POST /_local/schedules/{function}`` runs one now.
* ``GET|POST /_local/clock`` ``{"now": "<ISO-8601>" | null}``: the clock the app sees.
* ``GET /_local/queues``: queue depths (DLQs included) and what each SQS event source did;
  ``POST /_local/queues/{mapping}`` ``{"enabled": false}`` pauses an event source mapping (``true`` resumes
  it), as ``aws lambda update-event-source-mapping --no-enabled`` does.
* ``GET /_local/functions``: each function's worker processes (pid, cold start, invocations).
* ``POST /_local/invoke/{function}``: invoke any function with the request body as its event.
* ``GET /_local/outbox?detail-type=&user_id=``: what the functions published on EventBridge (events out),
  after pumping the table streams; ``GET /_local/streams``: what each stream mapping did.
* ``GET /_local``: what the stack serves (functions, routes, rules, schedules, queues).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

from infra.ports import Stack
from infra.replies import Reply, json_reply, problem
from infra.workers import failure_text
from reward_ledger import clock


def _json_body(body: bytes) -> Any:
    if not body.strip():
        raise ValueError("a JSON body is required")
    try:
        return json.loads(body)
    except json.JSONDecodeError as exc:
        raise ValueError(f"the body is not JSON: {exc}") from exc


def _invalid(detail: str) -> Reply:
    return problem(400, "validation-error", "Invalid request", detail)


def local_route(stack: Stack, method: str, path: str, query: str, body: bytes) -> Reply:
    parts = [p for p in path.split("/") if p][1:]  # after "_local"
    head = parts[0] if parts else ""
    rest = parts[1:]
    if head == "" and method == "GET":
        return json_reply(200, overview(stack))
    if head == "events" and not rest and method == "POST":
        return post_events(stack, body)
    if head == "schedules" and not rest and method == "GET":
        return json_reply(200, {"schedules": [schedule_view(s) for s in stack.schedules()]})
    if head == "schedules" and len(rest) == 1 and method == "POST":
        return run_schedule(stack, rest[0], parse_qs(query).get("rule", [None])[0])
    if head == "clock" and not rest and method == "GET":
        return json_reply(200, clock_view(stack))
    if head == "clock" and not rest and method == "POST":
        return set_clock(stack, body)
    if head == "queues" and not rest and method == "GET":
        return json_reply(200, stack.queue_report())
    if head == "queues" and len(rest) == 1 and method == "POST":
        return set_source(stack, rest[0], body)
    if head == "functions" and not rest and method == "GET":
        return json_reply(200, {"functions": stack.functions_report()})
    if head == "outbox" and not rest and method == "GET":
        return outbox(stack, query)
    if head == "streams" and not rest and method == "GET":
        return json_reply(200, {"streams": stack.streams_report()})
    if head == "invoke" and len(rest) == 1 and method == "POST":
        return invoke(stack, rest[0], body)
    return problem(404, "not-found", "Not found", f"no local route {method} {path}; GET /_local lists them")


def overview(stack: Stack) -> dict[str, Any]:
    model = stack.model
    return {
        "template": str(model.template),
        "functions": sorted(model.functions),
        "routes": [
            {"route": r.route_key, "function": r.function, "auth": r.authorizer is not None}
            for r in model.routes
        ],
        "rules": [
            {
                "rule": r.logical_id,
                "pattern": r.pattern,
                "targets": [t.name for t in r.targets],
                "enabled": r.enabled,
            }
            for r in model.rules
        ],
        "schedules": [schedule_view(s) for s in model.schedules],
        "queues": sorted(model.queues),
        "queue_sources": [
            {"mapping": q.logical_id, "queue": q.queue, "function": q.function} for q in model.queue_sources
        ],
        "tables": model.tables,
        "ssm_parameters": sorted(model.ssm_parameters),
        "seeded": stack.seeded,
        "broken_functions": stack.broken,
        "local_routes": [
            "POST /_local/events",
            "GET /_local/schedules",
            "POST /_local/schedules/{function}",
            "GET /_local/clock",
            "POST /_local/clock",
            "GET /_local/queues",
            "POST /_local/queues/{mapping}",
            "GET /_local/functions",
            "POST /_local/invoke/{function}",
            "GET /_local/outbox",
            "GET /_local/streams",
        ],
    }


def post_events(stack: Stack, body: bytes) -> Reply:
    try:
        parsed = _json_body(body)
    except ValueError as exc:
        return _invalid(str(exc))
    items = parsed if isinstance(parsed, list) else [parsed]
    if not items:
        return _invalid("no event given")
    for item in items:
        if not isinstance(item, dict):
            return _invalid("an event is an object {source, detail-type, detail}")
        unknown = set(item) - {"source", "detail-type", "detail"}
        if unknown:
            return _invalid(f"unknown fields {sorted(unknown)}: an event has source, detail-type and detail")
        for name in ("source", "detail-type"):
            if not isinstance(item.get(name), str) or not item[name]:
                return _invalid(f"{name} must be a non-empty string")
        if not isinstance(item.get("detail", {}), dict):
            return _invalid("detail must be a JSON object")
    results = []
    failed: list[dict[str, Any]] = []
    for item in items:
        event_id, rules, deliveries = stack.put_event(
            item["source"], item["detail-type"], item.get("detail", {})
        )
        views = [d.as_dict() for d in deliveries]
        failed.extend(v for v in views if not v["ok"])
        results.append({"event_id": event_id, "matched_rules": rules, "deliveries": views})
    payload: dict[str, Any] = results[0] if isinstance(parsed, dict) else {"events": results}
    if failed:
        names = ", ".join(sorted({f["target"] for f in failed}))
        return json_reply(
            502,
            {
                "type": "delivery-failed",
                "title": "A target failed",
                "status": 502,
                "detail": f"failed: {names}",
                "failed": failed,
                **payload,
            },
            "application/problem+json",
        )
    return json_reply(200, payload)


def schedule_view(schedule: Any) -> dict[str, Any]:
    return {
        "function": schedule.target.name if schedule.target.kind == "function" else None,
        "target": schedule.target.name,
        "rule": schedule.logical_id,
        "type": schedule.kind,
        "expression": schedule.expression,
        "description": schedule.description,
        "enabled": schedule.enabled,
    }


def run_schedule(stack: Stack, name: str, rule: str | None) -> Reply:
    candidates = [
        s
        for s in stack.schedules()
        if (s.target.name == name or s.logical_id == name) and (rule is None or s.logical_id == rule)
    ]
    if not candidates:
        known = sorted({s.target.name for s in stack.schedules()})
        return problem(
            404, "not-found", "Not found", f"{name} has no schedule; scheduled: {', '.join(known) or 'none'}"
        )
    schedule = candidates[0]
    try:
        result = stack.run_schedule(schedule)
    except Exception as exc:
        stack.say(f"[schedule] {schedule.target.name} failed: {failure_text(exc)}")
        return problem(
            502,
            "invocation-failed",
            "The scheduled function failed",
            failure_text(exc),
            function=schedule.target.name,
            rule=schedule.logical_id,
        )
    return json_reply(
        200,
        {
            "function": schedule.target.name,
            "rule": schedule.logical_id,
            "now": clock.iso(clock.now()),
            "result": result,
        },
    )


def clock_view(stack: Stack) -> dict[str, Any]:
    """The instant the app sees, and whether it is pinned (moved) or follows the system clock."""
    return {"now": clock.iso(clock.now()), "pinned": stack.clock_pinned()}


def set_source(stack: Stack, mapping: str, body: bytes) -> Reply:
    try:
        parsed = _json_body(body)
    except ValueError as exc:
        return _invalid(str(exc))
    if not isinstance(parsed, dict) or set(parsed) != {"enabled"} or not isinstance(parsed["enabled"], bool):
        return _invalid('the body is {"enabled": true} or {"enabled": false}')
    if not stack.set_source_enabled(mapping, parsed["enabled"]):
        return problem(404, "not-found", "Not found", f"no polled event source mapping {mapping}")
    return json_reply(200, {"mapping": mapping, "enabled": parsed["enabled"]})


def set_clock(stack: Stack, body: bytes) -> Reply:
    try:
        parsed = _json_body(body)
    except ValueError as exc:
        return _invalid(str(exc))
    if not isinstance(parsed, dict) or set(parsed) != {"now"}:
        return _invalid('the body is {"now": "<ISO-8601>"} or {"now": null}')
    value = parsed["now"]
    if value is None:
        stack.set_clock(None)
    elif isinstance(value, str):
        try:
            stack.set_clock(clock.parse_iso(value))
        except ValueError as exc:
            return _invalid(f"now is not an ISO-8601 instant: {exc}")
    else:
        return _invalid("now must be an ISO-8601 string or null")
    return json_reply(200, clock_view(stack))


def outbox(stack: Stack, query: str) -> Reply:
    """Published events, oldest first, filtered by ``detail-type`` and ``user_id`` (postings or detail)."""
    params = parse_qs(query)
    events = stack.outbox_events(params.get("detail-type", [None])[0], params.get("user_id", [None])[0])
    return json_reply(200, {"events": events, "count": len(events)})


def invoke(stack: Stack, function: str, body: bytes) -> Reply:
    if function not in stack.model.functions:
        return problem(
            404,
            "not-found",
            "Not found",
            f"no function {function}; known: {', '.join(sorted(stack.model.functions))}",
        )
    try:
        event = _json_body(body) if body.strip() else {}
    except ValueError as exc:
        return _invalid(str(exc))
    try:
        result = stack.invoke(function, event)
    except Exception as exc:
        return problem(502, "invocation-failed", "The function failed", failure_text(exc), function=function)
    return json_reply(200, result)

"""The local stack as an object: moto, the template's tables and queues, the functions, the gateway.

``start_stack(port=0)`` starts everything in this process and returns a :class:`LocalStack` with ``url``
and ``stop()``; ``python -m infra.local`` (``make dev``) runs one in the foreground.
"""

from __future__ import annotations

import json
import os
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any, TextIO

from infra.discovery import Function, Queue, Schedule, StackModel, TemplateError, load
from infra.events import envelope, matches, scheduled_event
from infra.lambdas import FunctionPool, HandlerLoadError, isolated_router_state
from infra.queues import QueuePoller, queue_depths
from infra.template import LOCAL_REGION, TEMPLATE

HOST = "127.0.0.1"
DEFAULT_PORT = 3000
DEFAULT_RETRY_SECONDS = 2
_running_lock = threading.Lock()
_running: list[LocalStack] = []

# The process environment every function sees locally (AWS credentials are fake: nothing leaves moto).
BASE_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_SESSION_TOKEN": "local",
    "AWS_DEFAULT_REGION": LOCAL_REGION,
    "AWS_REGION": LOCAL_REGION,
    "POWERTOOLS_TRACE_DISABLED": "true",
}
# Defaults a developer may override from the shell (e.g. POWERTOOLS_METRICS_DISABLED=false make dev).
DEFAULT_ENVIRONMENT = {"POWERTOOLS_METRICS_DISABLED": "true"}


class StartupError(Exception):
    """The stack cannot start (a one-line reason for the console)."""


@dataclass
class Delivery:
    rule: str
    target: str
    kind: str  # "function" | "queue"
    ok: bool
    attempts: int = 1
    result: Any = None
    error: str | None = None
    dead_letter_queue: str | None = None

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"rule": self.rule, "target": self.target, "kind": self.kind, "ok": self.ok}
        body["attempts"] = self.attempts
        if self.ok:
            body["result"] = self.result
        else:
            body["error"] = self.error
            body["dead_letter_queue"] = self.dead_letter_queue
        return body


class LocalStack:
    def __init__(
        self,
        model: StackModel,
        *,
        port: int = DEFAULT_PORT,
        retry_seconds: int = DEFAULT_RETRY_SECONDS,
        poll_interval: float = 0.25,
        log: TextIO | None = None,
        jwt_secret: str | None = None,
        seed: bool = True,
        skip_broken: bool = False,
    ) -> None:
        self.model = model
        self.seed = seed
        self.skip_broken = skip_broken
        self.broken: dict[str, str] = {}  # function -> why its handler does not load (with skip_broken)
        self.seeded: list[str] = []
        self.requested_port = port
        self.retry_seconds = retry_seconds
        self.poll_interval = poll_interval
        self.log = log
        self.jwt_secret = jwt_secret
        self.pools: dict[str, FunctionPool] = {}
        self.pollers: list[QueuePoller] = []
        self.server: ThreadingHTTPServer | None = None
        self._server_thread: threading.Thread | None = None
        self._mock: Any = None
        self._saved_env: dict[str, str | None] = {}
        self._stubber_patched = False
        self._router_isolation: Any = None
        self._stopped = False
        self.sqs: Any = None
        self.openapi_cache: dict[str, Any] | None = None
        self._openapi_lock = threading.Lock()

    # ------------------------------------------------------------------ lifecycle
    @property
    def port(self) -> int:
        assert self.server is not None
        return int(self.server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def say(self, text: str) -> None:
        if self.log is not None:
            self.log.write(text + "\n")
            self.log.flush()

    def start(self) -> LocalStack:
        from infra.gateway import make_server

        with _running_lock:
            if _running:
                raise StartupError("a local stack is already running in this process (moto is process-wide)")
            _running.append(self)
        try:
            try:
                self.server = make_server(self, HOST, self.requested_port)
            except OSError as exc:
                if exc.errno in (98, 48, 10048):  # EADDRINUSE on Linux, macOS, Windows
                    raise StartupError(
                        f"port {self.requested_port} on {HOST} is already in use "
                        "(another `make dev`?); stop it or choose another port with PORT=... / --port"
                    ) from exc
                raise StartupError(
                    f"cannot listen on {HOST}:{self.requested_port}: {exc.strerror or exc}"
                ) from exc
            self._start_aws()
            self._create_parameters()
            self._set_environment()
            self._router_isolation = isolated_router_state()
            self._router_isolation.__enter__()
            self._load_functions()
            self._bind_domain()
            self._seed()
            self._start_pollers()
        except BaseException:
            self.stop()
            raise
        self._server_thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.1}, name="local-gateway", daemon=True
        )
        self._server_thread.start()
        return self

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        if self.server is not None:
            if self._server_thread is not None:
                self.server.shutdown()
                self._server_thread.join(10)
            self.server.server_close()
        for poller in self.pollers:
            poller.stop()
        for pool in self.pools.values():
            pool.close()
        if self._router_isolation is not None:
            self._router_isolation.__exit__(None, None, None)
        try:
            from reward_ledger import clock

            clock.set_now(None)
        except ImportError:
            pass
        if self._stubber_patched:
            from moto.core.models import botocore_stubber

            vars(botocore_stubber).pop("process_request", None)
        if self._mock is not None:
            self._mock.stop()
        for key, old in self._saved_env.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old
        with _running_lock:
            if self in _running:
                _running.remove(self)

    # ------------------------------------------------------------------ start-up steps
    def _start_aws(self) -> None:
        import boto3
        from moto import mock_aws
        from moto.core.models import botocore_stubber

        self._mock = mock_aws()
        self._mock.start()
        # moto applies each call without locks (a failed TransactWriteItems even restores a copy of the
        # whole table): serialize calls so each one is atomic, as DynamoDB and SQS calls are in AWS.
        # Handlers still run in parallel, so races between their calls happen as they would in AWS.
        original: Callable[..., Any] = botocore_stubber.process_request
        lock = threading.RLock()

        def process_request(request: Any) -> Any:
            with lock:
                return original(request)

        botocore_stubber.process_request = process_request
        self._stubber_patched = True
        from infra.moto_patches import install as install_transaction_patches

        install_transaction_patches()  # transactions roll back only their own items (not a table copy)
        dynamodb = boto3.client("dynamodb", region_name=LOCAL_REGION)
        for args in self.model.table_args.values():
            dynamodb.create_table(**args)
        self.sqs = boto3.client("sqs", region_name=LOCAL_REGION)
        for queue in self.model.queues.values():
            self.sqs.create_queue(QueueName=queue.name, Attributes=queue.attributes)
        for queue in self.model.queues.values():
            if queue.dead_letter is not None:
                dlq = self.model.queues[queue.dead_letter]
                policy = {"deadLetterTargetArn": dlq.arn, "maxReceiveCount": queue.max_receive_count or 10}
                self.sqs.set_queue_attributes(
                    QueueUrl=queue.url, Attributes={"RedrivePolicy": json.dumps(policy)}
                )

    def _create_parameters(self) -> None:
        """The SSM parameters functions read (secrets), with local values: LOCAL_GAME_SECRET (default
        ``local-game-secret``) for game secrets, ``local-<last segment>`` otherwise."""
        import boto3

        ssm = boto3.client("ssm", region_name=LOCAL_REGION)
        game_secret = os.environ.get("LOCAL_GAME_SECRET") or "local-game-secret"
        for name in sorted(self.model.ssm_parameters):
            value = game_secret if "/games/" in name else "local-" + name.rstrip("/").rsplit("/", 1)[-1]
            ssm.put_parameter(Name=name, Value=value, Type="SecureString", Overwrite=True)

    def _set_environment(self) -> None:
        values = dict(BASE_ENVIRONMENT)
        values.update({k: v for k, v in DEFAULT_ENVIRONMENT.items() if k not in os.environ})
        if self.jwt_secret is not None:
            values["LOCAL_JWT_SECRET"] = self.jwt_secret
        # variables every function agrees on are process-wide (handlers may read them at any time);
        # a variable whose value differs between functions is set only while that function's module loads
        seen: dict[str, set[str]] = {}
        for function in self.model.functions.values():
            for key, value in function.environment.items():
                seen.setdefault(key, set()).add(value)
        shared = {key: next(iter(v)) for key, v in seen.items() if len(v) == 1}
        for key, variants in seen.items():
            if len(variants) > 1 and not key.startswith("POWERTOOLS_"):
                self.say(f"[env] {key} differs between functions: each sees its own value only at import")
        values.update(shared)
        for key, value in values.items():
            self._saved_env.setdefault(key, os.environ.get(key))
            os.environ[key] = value

    def _load_functions(self) -> None:
        for logical_id, function in sorted(self.model.functions.items()):
            pool = FunctionPool(function)
            try:
                pool.warm()
            except HandlerLoadError as exc:
                if not self.skip_broken:
                    raise StartupError(f"{exc} (--skip-broken serves the other functions)") from exc
                self.broken[logical_id] = str(exc)
                self.say(f"[skipped] {exc}")
                continue
            self.pools[logical_id] = pool

    def _bind_domain(self) -> None:
        table = self.model.tables.get("LedgerTable") or os.environ.get("LEDGER_TABLE")
        if not table:
            return
        try:
            from reward_ledger.wiring import PRODUCT
        except ImportError:
            return
        PRODUCT.bind_table(table, region=LOCAL_REGION)

    def _seed(self) -> None:
        from infra import local_seed

        if not self.seed or not local_seed.enabled() or "LedgerTable" not in self.model.tables:
            return
        try:
            self.seeded = local_seed.seed()
        except Exception as exc:  # a feature's seed must not keep the rest of the API from starting
            self.say(f"[seed] skipped: {type(exc).__name__}: {exc}")

    def _start_pollers(self) -> None:
        for source in self.model.queue_sources:
            if not source.enabled or source.function in self.broken:
                continue
            poller = QueuePoller(
                source,
                self.model.queues[source.queue],
                self.pools[source.function],
                self.sqs,
                retry_seconds=self.retry_seconds,
                poll_interval=self.poll_interval,
                log=self.log,
            )
            poller.start()
            self.pollers.append(poller)

    # ------------------------------------------------------------------ local-only operations
    def invoke(self, function: str, event: dict[str, Any]) -> Any:
        if function in self.broken:
            raise HandlerLoadError(self.broken[function])
        return self.pools[function].invoke(event)

    def put_event(self, source: str, detail_type: str, detail: Any) -> tuple[str, list[str], list[Delivery]]:
        """Deliver one event to every enabled rule whose pattern matches; (event id, rules, deliveries)."""
        event = envelope(source, detail_type, detail)
        matched = [r for r in self.model.rules if r.enabled and matches(r.pattern, event)]
        deliveries: list[Delivery] = []
        for rule in matched:
            for target in rule.targets:
                payload = json.loads(target.input) if target.input is not None else event
                if target.kind == "queue":
                    deliveries.append(
                        self._send_to_queue(rule.logical_id, self.model.queues[target.name], payload)
                    )
                else:
                    deliveries.append(self._invoke_async(rule.logical_id, target.name, payload))
        return str(event["id"]), [r.logical_id for r in matched], deliveries

    def _send_to_queue(self, rule: str, queue: Queue, payload: Any) -> Delivery:
        args: dict[str, Any] = {"QueueUrl": queue.url, "MessageBody": json.dumps(payload)}
        if queue.attributes.get("FifoQueue") == "true":
            args["MessageGroupId"] = rule
            if queue.attributes.get("ContentBasedDeduplication") != "true":
                args["MessageDeduplicationId"] = (
                    str(payload.get("id", "")) if isinstance(payload, dict) else rule
                )
        try:
            sent = self.sqs.send_message(**args)
        except Exception as exc:
            return Delivery(rule, queue.logical_id, "queue", False, error=f"{type(exc).__name__}: {exc}")
        return Delivery(rule, queue.logical_id, "queue", True, result={"message_id": sent.get("MessageId")})

    def _invoke_async(self, rule: str, function_id: str, payload: Any) -> Delivery:
        """An asynchronous invocation: retried ``MaximumRetryAttempts`` times (immediately, locally), then
        sent to the function's on-failure destination or dead-letter queue."""
        function = self.model.functions[function_id]
        attempts = 1 + max(0, function.max_retry_attempts)
        error = ""
        for attempt in range(1, attempts + 1):
            try:
                result = self.invoke(function_id, payload)
            except Exception as exc:
                error = f"{type(exc).__name__}: {exc}"
                self.say(f"[events] {function_id} failed (attempt {attempt}/{attempts}): {error}")
                if self.log is not None and attempt == attempts:
                    traceback.print_exception(exc, file=self.log)
                continue
            return Delivery(rule, function_id, "function", True, attempts=attempt, result=_jsonable(result))
        dlq = self._dead_letter(function, payload, error)
        return Delivery(
            rule, function_id, "function", False, attempts=attempts, error=error, dead_letter_queue=dlq
        )

    def _dead_letter(self, function: Function, payload: Any, error: str) -> str | None:
        for arn in (function.on_failure_arn, function.dead_letter_arn):
            queue = self.model.queue_by_arn(arn) if arn else None
            if queue is None:
                continue
            code, _, message = error.partition(": ")
            self.sqs.send_message(
                QueueUrl=queue.url,
                MessageBody=json.dumps(payload),
                MessageAttributes={
                    "ErrorCode": {"DataType": "String", "StringValue": code or "Error"},
                    "ErrorMessage": {"DataType": "String", "StringValue": (message or error)[:1000] or "-"},
                },
            )
            return queue.logical_id
        return None

    def schedules(self) -> list[Schedule]:
        return list(self.model.schedules)

    def run_schedule(self, schedule: Schedule) -> Any:
        payload = (
            json.loads(schedule.target.input)
            if schedule.target.input
            else scheduled_event(schedule.logical_id)
        )
        if schedule.target.kind == "queue":
            return self._send_to_queue(
                schedule.logical_id, self.model.queues[schedule.target.name], payload
            ).as_dict()
        return self.invoke(schedule.target.name, payload)

    def queue_report(self) -> dict[str, Any]:
        queues = []
        for queue in self.model.queues.values():
            queues.append(
                {
                    "queue": queue.logical_id,
                    "name": queue.name,
                    "url": queue.url,
                    **queue_depths(self.sqs, queue),
                    "dead_letter_queue": queue.dead_letter,
                    "max_receive_count": queue.max_receive_count,
                }
            )
        sources = [
            {
                "mapping": p.source.logical_id,
                "queue": p.source.queue,
                "function": p.source.function,
                "batch_size": p.source.batch_size,
                "report_batch_item_failures": p.source.report_batch_item_failures,
                "batches": p.stats.batches,
                "succeeded": p.stats.succeeded,
                "retried": p.stats.retried,
                "recent_errors": list(p.stats.errors),
            }
            for p in self.pollers
        ]
        return {"queues": queues, "sources": sources, "retry_seconds": self.retry_seconds}


def _jsonable(value: Any) -> Any:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return json.loads(json.dumps(value, default=str))
    return value


def start_stack(
    port: int = 0,
    template: Path = TEMPLATE,
    *,
    retry_seconds: int = DEFAULT_RETRY_SECONDS,
    poll_interval: float = 0.25,
    log: TextIO | None = None,
    jwt_secret: str | None = None,
    seed: bool = True,
    skip_broken: bool = False,
) -> LocalStack:
    """Start a local stack in this process (port 0: any free port); stop it with ``.stop()``.

    Raises :class:`StartupError` (bad template, handler that does not import, port taken).
    """
    try:
        model = load(template)
    except TemplateError as exc:
        raise StartupError(str(exc)) from exc
    stack = LocalStack(
        model,
        port=port,
        retry_seconds=retry_seconds,
        poll_interval=poll_interval,
        log=log,
        jwt_secret=jwt_secret,
        seed=seed,
        skip_broken=skip_broken,
    )
    return stack.start()

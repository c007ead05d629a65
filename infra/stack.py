"""The local stack as an object: the embedded AWS, the template's tables and queues, the functions'
workers, the gateway.

``start_stack(port=0)`` starts everything and returns a :class:`LocalStack` with ``url`` and ``stop()``;
``python -m infra.local`` (``make dev``) runs one in the foreground. The stack's own process holds the
gateway, moto (served on a loopback port, :mod:`infra.aws_endpoint`), the SQS pollers and the event and
schedule plumbing; every function runs in worker processes of its own (:mod:`infra.workers`).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import traceback
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any, TextIO

from infra.aws_endpoint import EmbeddedAws, Roles
from infra.discovery import ACCOUNT_ID, Function, Queue, Schedule, StackModel, TemplateError, load
from infra.events import envelope, matches, scheduled_event
from infra.gateway import make_server
from infra.openapi import local_document
from infra.queues import QueuePoller, queue_depths
from infra.template import LOCAL_REGION, TEMPLATE
from infra.worker_env import access_key, worker_environment
from infra.workers import RUNTIME, FunctionError, FunctionWorkers, failure_text
from reward_ledger import clock

HOST = "127.0.0.1"
DEFAULT_PORT = 3000
DEFAULT_RETRY_SECONDS = 2
CHECK_TIMEOUT_SECONDS = 120
_running_lock = threading.Lock()
_running: list[LocalStack] = []

# The stack process's own environment while it runs: its plumbing (pollers, seeding, tests reading the
# books) reaches the embedded AWS with credentials no role is attached to (not checked).
PLUMBING_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_SESSION_TOKEN": "local",
    "AWS_DEFAULT_REGION": LOCAL_REGION,
    "AWS_REGION": LOCAL_REGION,
}


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
        check_handlers: bool = True,
    ) -> None:
        self.model = model
        self.seed = seed
        self.skip_broken = skip_broken
        self.check = check_handlers
        self.broken: dict[str, str] = {}  # function -> why its handler does not load (with skip_broken)
        self.seeded: list[str] = []
        self.requested_port = port
        self.retry_seconds = retry_seconds
        self.poll_interval = poll_interval
        self.log = log
        self.jwt_secret = jwt_secret
        self.pools: dict[str, FunctionWorkers] = {}
        self.pollers: list[QueuePoller] = []
        self.server: ThreadingHTTPServer | None = None
        self.aws: EmbeddedAws | None = None
        self._server_thread: threading.Thread | None = None
        self._saved_env: dict[str, str | None] = {}
        self._saved_binding: tuple[str, str, str | None] | None = None
        self._state_dir = tempfile.mkdtemp(prefix="reward-ledger-local-")
        self.clock_file = os.path.join(self._state_dir, "clock")
        self._stopped = False
        self.sqs: Any = None
        self._openapi: dict[str, Any] | None = None
        self.streams: Any = None  # infra.streams.StreamPoller
        self.outbox: Any = None  # infra.outbox.Outbox
        self._openapi_lock = threading.Lock()

    # ------------------------------------------------------------------ lifecycle
    @property
    def port(self) -> int:
        assert self.server is not None
        return int(self.server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def aws_url(self) -> str:
        assert self.aws is not None
        return self.aws.url

    def say(self, text: str) -> None:
        if self.log is not None:
            self.log.write(text + "\n")
            self.log.flush()

    def start(self) -> LocalStack:
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
            checking = self._start_check() if self.check else None
            self._start_aws()
            self._create_parameters()
            self._make_workers()
            if checking is not None:
                self._finish_check(checking)
            self._bind_domain()
            self._seed()
            self._start_pollers()
            self._start_events_out()
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
        if self.streams is not None:
            self.streams.stop()
        if self.outbox is not None:
            self.outbox.stop()
        for pool in self.pools.values():
            pool.close()
        if self._saved_binding is not None:
            from reward_ledger.wiring import PRODUCT

            table, region, host = self._saved_binding
            PRODUCT.bind_table(table, region=region, host=host)
        if self.aws is not None:
            self._reset_aws()
            self.aws.stop()
        for key, old in self._saved_env.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old
        shutil.rmtree(self._state_dir, ignore_errors=True)
        with _running_lock:
            if self in _running:
                _running.remove(self)

    # ------------------------------------------------------------------ start-up steps
    def _start_check(self) -> subprocess.Popen[bytes]:
        """Import every handler once in a throw-away interpreter (the workers themselves start lazily),
        so that a handler that does not import stops the start, naming the function."""
        specs = [
            {
                "name": f.logical_id,
                "code_dir": str(f.code_dir),
                "handler": f.handler,
                "environment": self._environment(f, endpoint="http://127.0.0.1:9"),
            }
            for f in sorted(self.model.functions.values(), key=lambda f: f.logical_id)
        ]
        checker = subprocess.Popen(  # noqa: S603 (our own interpreter and runtime script)
            [sys.executable, "-I", str(RUNTIME), "--check"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        assert checker.stdin is not None
        checker.stdin.write(json.dumps(specs).encode())
        checker.stdin.close()
        return checker

    def _finish_check(self, checker: subprocess.Popen[bytes]) -> None:
        for logical_id, reason in sorted(self._check_result(checker).items()):
            text = f"{logical_id}: {reason}"
            if not self.skip_broken:
                raise StartupError(f"{text} (--skip-broken serves the other functions)")
            self.broken[logical_id] = text
            self.say(f"[skipped] {text}")

    def _check_result(self, checker: subprocess.Popen[bytes]) -> dict[str, str]:
        assert checker.stdout is not None
        output = checker.stdout.read()
        checker.wait(CHECK_TIMEOUT_SECONDS)
        checker.stdout.close()
        failures: dict[str, str | None] = json.loads(output or b"{}")
        return {name: reason for name, reason in failures.items() if reason is not None}

    def handler_failures(self) -> dict[str, str]:
        """The start-up check run now: function -> why its handler does not import alone."""
        return self._check_result(self._start_check())

    def _environment(self, function: Function, *, endpoint: str) -> dict[str, str]:
        return worker_environment(
            function, region=LOCAL_REGION, endpoint=endpoint, clock_file=self.clock_file
        )

    def _set_environment(self, values: dict[str, str]) -> None:
        for key, value in values.items():
            self._saved_env.setdefault(key, os.environ.get(key))
            os.environ[key] = value

    def _start_aws(self) -> None:
        import boto3

        roles = Roles(
            {
                access_key(f.logical_id): (f.logical_id, f.allowed_actions)
                for f in self.model.functions.values()
            }
        )
        self.aws = EmbeddedAws(roles).start()
        self._reset_aws()  # moto's state is process-wide: a stack starts from an empty account
        # this process reaches the embedded AWS too (its own clients, and the layer's when tests read books)
        self._set_environment(
            {
                **PLUMBING_ENVIRONMENT,
                "AWS_ENDPOINT_URL": self.aws.url,
                clock.CLOCK_FILE_VARIABLE: self.clock_file,
            }
        )
        dynamodb = boto3.client("dynamodb", region_name=LOCAL_REGION, endpoint_url=self.aws.url)
        for args in self.model.table_args.values():
            dynamodb.create_table(**args)
        self.sqs = boto3.client("sqs", region_name=LOCAL_REGION, endpoint_url=self.aws.url)
        for queue in self.model.queues.values():
            self.sqs.create_queue(QueueName=queue.name, Attributes=queue.attributes)
        for queue in self.model.queues.values():
            if queue.dead_letter is not None:
                dlq = self.model.queues[queue.dead_letter]
                policy = {"deadLetterTargetArn": dlq.arn, "maxReceiveCount": queue.max_receive_count or 10}
                self.sqs.set_queue_attributes(
                    QueueUrl=queue.url, Attributes={"RedrivePolicy": json.dumps(policy)}
                )

    def _reset_aws(self) -> None:
        request = urllib.request.Request(self.aws_url + "/moto-api/reset", method="POST")  # noqa: S310
        with urllib.request.urlopen(request, timeout=30):  # noqa: S310 (http to 127.0.0.1)
            pass

    def _create_parameters(self) -> None:
        """The SSM parameters functions read (secrets), with local values: LOCAL_GAME_SECRET (default
        ``local-game-secret``) for game secrets, ``local-<last segment>`` otherwise."""
        import boto3

        ssm = boto3.client("ssm", region_name=LOCAL_REGION, endpoint_url=self.aws_url)
        game_secret = os.environ.get("LOCAL_GAME_SECRET") or "local-game-secret"
        for name in sorted(self.model.ssm_parameters):
            value = game_secret if "/games/" in name else "local-" + name.rstrip("/").rsplit("/", 1)[-1]
            ssm.put_parameter(Name=name, Value=value, Type="SecureString", Overwrite=True)

    def _make_workers(self) -> None:
        """One pool of workers per function; none is started before its first invocation."""
        for logical_id, function in sorted(self.model.functions.items()):
            environment = self._environment(function, endpoint=self.aws_url)
            self.pools[logical_id] = FunctionWorkers(function, environment, self.log)

    def _bind_domain(self) -> None:
        """Bind the layer's models in this process to the embedded AWS (seeding, tests reading books)."""
        table = self.model.tables.get("LedgerTable")
        if not table:
            return
        try:
            from reward_ledger.ledger.models import EntryItem
            from reward_ledger.wiring import PRODUCT
        except ImportError:
            return
        self._saved_binding = (EntryItem.Meta.table_name, EntryItem.Meta.region, EntryItem.Meta.host)
        PRODUCT.bind_table(table, region=LOCAL_REGION, host=self.aws_url)

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

    def _start_events_out(self) -> None:
        """Events out as AWS runs them: the table streams feed their functions (infra/streams.py), and
        what functions put on the template's buses lands in the local outbox (infra/outbox.py)."""
        from infra.outbox import Outbox, bus_names
        from infra.streams import start_streams

        self.outbox = Outbox(bus_names(self), on_event=self.route_published)
        self.streams = start_streams(self)
        self.outbox.start(self.poll_interval)

    # ------------------------------------------------------------------ local-only operations

    def outbox_events(self, detail_type: str | None, user_id: str | None) -> list[dict[str, Any]]:
        """What the functions published so far (the streams delivered first), oldest first."""
        if self.streams is not None:
            self.streams.pump()
        return self.outbox.list(detail_type, user_id) if self.outbox is not None else []

    def streams_report(self) -> list[dict[str, Any]]:
        return self.streams.report() if self.streams is not None else []

    def invoke(self, function: str, event: dict[str, Any]) -> Any:
        if function in self.broken:
            raise FunctionError("Runtime.ImportModuleError", self.broken[function])
        return self.pools[function].invoke(event)

    def functions_report(self) -> list[dict[str, Any]]:
        return [self.pools[name].view() for name in sorted(self.pools)]

    def inspect(self, function: str) -> dict[str, Any]:
        """What a worker of ``function`` holds (modules, ``sys.path``, variable names): for tests."""
        inspected: dict[str, Any] = self.pools[function].request("inspect")
        return inspected

    def set_clock(self, instant: datetime | None) -> None:
        """Move the clock of every process of the stack (the workers read the clock file)."""
        clock.write_clock_file(self.clock_file, instant)

    def clock_pinned(self) -> bool:
        try:
            return bool(Path(self.clock_file).read_text().strip())
        except FileNotFoundError:
            return False

    def set_source_enabled(self, mapping: str, enabled: bool) -> bool:
        for poller in self.pollers:
            if poller.source.logical_id == mapping:
                poller.enabled = enabled
                return True
        return False

    def openapi(self) -> dict[str, Any]:
        """The committed production document (``make openapi``) plus the local routes."""
        with self._openapi_lock:
            if self._openapi is None:
                self._openapi = local_document()
            return self._openapi

    def put_event(self, source: str, detail_type: str, detail: Any) -> tuple[str, list[str], list[Delivery]]:
        """Deliver one event to every enabled rule whose pattern matches; (event id, rules, deliveries)."""
        event = envelope(source, detail_type, detail)
        return self._deliver(event, self.model.rules)

    def route_published(self, event: dict[str, Any]) -> list[Delivery]:
        """What a function put on one of the template's buses, delivered to the template's rules on those
        buses (EventBridge's own delivery; the outbox hands each event over once)."""
        buses = set(self.outbox.buses) if self.outbox is not None else set()
        rules = [r for r in self.model.rules if r.bus in buses]
        # moto's copy of the event leaves out the envelope's account, which EventBridge always sets
        delivered = {**event, "account": event.get("account", ACCOUNT_ID)}
        return self._deliver(delivered, rules)[2] if rules else []

    def _deliver(self, event: dict[str, Any], rules: list[Any]) -> tuple[str, list[str], list[Delivery]]:
        matched = [r for r in rules if r.enabled and matches(r.pattern, event)]
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
                error = failure_text(exc)
                self.say(f"[events] {function_id} failed (attempt {attempt}/{attempts}): {error}")
                if self.log is not None and attempt == attempts and not isinstance(exc, FunctionError):
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
    check_handlers: bool = True,
) -> LocalStack:
    """Start a local stack (port 0: any free port); stop it with ``.stop()``. ``check_handlers`` imports
    every handler once at start-up in a throw-away interpreter (a few seconds) to refuse a broken one.

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
        check_handlers=check_handlers,
    )
    return stack.start()

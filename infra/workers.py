"""Lambda execution environments as processes: each worker is one function in a fresh interpreter.

A worker runs :mod:`infra.worker_runtime` with ``python -I``: only the function's ``CodeUri`` and the
installed packages (the layer among them) are importable, its environment holds only what
:func:`infra.worker_env.worker_environment` gives it (the template's variables and what Lambda sets), and
its AWS calls go to the embedded AWS under credentials naming the function, where its role is enforced.
Workers start lazily: the first invocation of a function is a cold start (timed). One worker serves one
invocation at a time, as an execution environment does; concurrent invocations start more workers, up to
the function's reserved concurrency (default :data:`DEFAULT_CONCURRENCY`), beyond which they wait. A worker
that dies (crash, exit, timeout) is discarded and its invocation fails as Lambda's would; the next one
starts a fresh worker.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import IO, Any

from infra.discovery import Function

RUNTIME = Path(__file__).with_name("worker_runtime.py")
DEFAULT_CONCURRENCY = 8
INIT_TIMEOUT_SECONDS = 60.0  # Lambda allows 10 s of init; a cold interpreter on a busy 2-core box needs more
# An invocation may run TIMEOUT_FACTOR times the function's Timeout before its worker is killed: a machine
# shared by tests and other work runs a handler several times slower than Lambda would.
TIMEOUT_FACTOR = 3


class FunctionError(Exception):
    """The handler raised (Lambda's ``Unhandled`` function error): ``error_type: message``."""

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(f"{error_type}: {message}")
        self.error_type = error_type


class WorkerDied(Exception):
    """The worker process ended or stopped answering during an invocation (Runtime.ExitError, timeout)."""


def failure_text(exc: BaseException) -> str:
    """``ErrorType: message`` of a failed invocation (the handler's exception type, not the wrapper's)."""
    return str(exc) if isinstance(exc, FunctionError) else f"{type(exc).__name__}: {exc}"


class Worker:
    """One process running one function."""

    def __init__(self, function: Function, environment: dict[str, str], log: IO[str] | None) -> None:
        self.function = function
        started = time.perf_counter()
        self.process = subprocess.Popen(  # noqa: S603 (our own interpreter and runtime script)
            [sys.executable, "-I", str(RUNTIME), str(function.code_dir), function.handler],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log if log is not None else subprocess.DEVNULL,
            cwd=function.code_dir,
            env=environment,
            start_new_session=True,  # Ctrl-C in the terminal stops the stack, which stops its workers
        )
        self._started = started
        self.pid = self.process.pid
        self.invocations = 0
        self.cold_start_ms = 0.0
        self._buffer = b""

    def wait_ready(self) -> None:
        """Wait for the handler module to be imported (the init); times the cold start."""
        try:
            ready = self._read(INIT_TIMEOUT_SECONDS)
        except WorkerDied as exc:
            self.kill()
            raise WorkerDied(f"{self.function.logical_id}: init failed: {exc}") from exc
        if not ready.get("ready"):
            self.kill()
            raise FunctionError(
                "Runtime.ImportModuleError",
                f"{self.function.logical_id}: {ready.get('errorType')}: {ready.get('errorMessage')}",
            )
        self.cold_start_ms = round((time.perf_counter() - self._started) * 1000, 1)

    def _read(self, timeout: float) -> dict[str, Any]:
        assert self.process.stdout is not None
        deadline = time.monotonic() + timeout
        stream = self.process.stdout
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise WorkerDied(f"no answer within {timeout:.0f} s")
            try:
                readable, _, _ = select.select([stream.fileno()], [], [], remaining)
                chunk = os.read(stream.fileno(), 1 << 16) if readable else None
            except (OSError, ValueError) as exc:  # the stack closed the pipe (stopping)
                raise WorkerDied(f"the worker was stopped: {exc}") from exc
            if chunk is not None:
                if not chunk:
                    code = self.process.wait()
                    raise WorkerDied(f"the process exited with status {code}")
                self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def request(self, message: dict[str, Any], timeout: float) -> Any:
        """Send one request; the result, or :class:`FunctionError` / :class:`WorkerDied`."""
        assert self.process.stdin is not None
        try:
            self.process.stdin.write(json.dumps(message, default=str).encode() + b"\n")
            self.process.stdin.flush()
        except (BrokenPipeError, OSError) as exc:
            raise WorkerDied(f"the process is gone: {exc}") from exc
        try:
            answer = self._read(timeout)
        except WorkerDied:
            self.kill()
            raise
        if not answer.get("ok"):
            raise FunctionError(str(answer.get("errorType")), str(answer.get("errorMessage")))
        return answer.get("result")

    def invoke(self, event: Any) -> Any:
        timeout = float(self.function.timeout)
        message = {
            "op": "invoke",
            "event": event,
            "request_id": str(uuid.uuid4()),
            "deadline_ms": time.time() * 1000 + timeout * 1000,  # what the handler is told it has
        }
        self.invocations += 1
        try:
            return self.request(message, timeout * TIMEOUT_FACTOR)
        except WorkerDied as exc:
            raise WorkerDied(f"{self.function.logical_id} (pid {self.pid}): {exc}") from exc

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()


class FunctionWorkers:
    """The workers of one function: started on demand, reused while warm, capped by its concurrency."""

    def __init__(self, function: Function, environment: dict[str, str], log: IO[str] | None = None) -> None:
        self.function = function
        self.environment = environment
        self.log = log
        self.limit = function.reserved_concurrency or DEFAULT_CONCURRENCY
        self._idle: list[Worker] = []
        self._live: list[Worker] = []
        self._starting = 0
        self._available = threading.Condition()
        self.cold_starts: list[float] = []
        self.invocations = 0
        self.crashes = 0
        self._closed = False

    def _acquire(self) -> Worker:
        with self._available:
            while True:
                self._idle = [w for w in self._idle if w.alive or self._forget(w)]
                if self._idle:
                    return self._idle.pop()
                if len(self._live) + self._starting < self.limit:
                    self._starting += 1
                    break
                self._available.wait(timeout=1.0)
        try:
            worker = Worker(self.function, self.environment, self.log)
        except BaseException:
            with self._available:
                self._starting -= 1
                self._available.notify()
            raise
        with self._available:
            self._starting -= 1
            if self._closed:
                worker.kill()
                raise WorkerDied(f"{self.function.logical_id}: the stack is stopping")
            self._live.append(worker)  # from now on close() stops it, even during its init
        try:
            worker.wait_ready()
        except BaseException:
            with self._available:
                self._forget(worker)
                self._available.notify()
            raise
        with self._available:
            self.cold_starts.append(worker.cold_start_ms)
        return worker

    def _forget(self, worker: Worker) -> bool:
        """Drop a dead worker (always False, for use in a filter); the caller holds the condition."""
        if worker in self._live:
            self._live.remove(worker)
        worker.kill()
        return False

    def _release(self, worker: Worker, alive: bool) -> None:
        with self._available:
            self.invocations += 1
            if alive and not self._closed:
                self._idle.append(worker)
            else:
                self.crashes += 0 if alive else 1  # closing is not a crash
                self._forget(worker)
            self._available.notify()

    def invoke(self, event: Any) -> Any:
        worker = self._acquire()
        try:
            result = worker.invoke(event)
        except WorkerDied:
            self._release(worker, alive=False)
            raise
        except BaseException:
            self._release(worker, alive=worker.alive)
            raise
        self._release(worker, alive=True)
        return result

    def request(self, op: str) -> Any:
        """A runtime request (``describe``, ``inspect``) answered by one warm or newly started worker."""
        worker = self._acquire()
        try:
            return worker.request({"op": op}, INIT_TIMEOUT_SECONDS)
        finally:
            with self._available:
                if worker.alive and not self._closed:
                    self._idle.append(worker)
                else:
                    self._forget(worker)
                self._available.notify()

    def view(self) -> dict[str, Any]:
        """``GET /_local/functions``' entry: the newest live worker's pid, the first cold start."""
        with self._available:
            live = list(self._live)
            return {
                "name": self.function.logical_id,
                "pid": live[-1].pid if live else None,
                "cold_start_ms": self.cold_starts[0] if self.cold_starts else None,
                "invocations": self.invocations,
                "workers": [
                    {"pid": w.pid, "cold_start_ms": w.cold_start_ms, "invocations": w.invocations}
                    for w in live
                ],
                "cold_starts": len(self.cold_starts),
                "crashes": self.crashes,
            }

    def close(self) -> None:
        with self._available:
            self._closed = True
            workers, self._idle, self._live = list(self._live), [], []
        for worker in workers:
            worker.kill()

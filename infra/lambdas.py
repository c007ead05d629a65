"""Lambda execution environments in process.

A handler module (and its Powertools resolver, which keeps the current event on a module-level ``app``)
serves one invocation at a time, as in Lambda. Concurrent invocations of one function therefore get
separate environments: the module is loaded again under another name, so parallel requests race in
DynamoDB the way they would in AWS while never sharing a handler's per-request state. Environments are
reused (warm) and capped by the function's reserved concurrency (default :data:`DEFAULT_CONCURRENCY`);
beyond the cap an invocation waits for a free environment.
"""

from __future__ import annotations

import importlib.util
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any

from infra.discovery import Function
from infra.handlers import LocalContext, environ
from infra.iam import acting_as

Handler = Callable[[dict[str, Any], Any], Any]
DEFAULT_CONCURRENCY = 8
_import_lock = threading.Lock()
_PER_THREAD_ROUTER_STATE = ("current_event", "lambda_context")


class _PerThread:
    """A class attribute whose value is per thread (each invocation runs wholly in one thread)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.local = threading.local()

    def __get__(self, obj: Any, owner: Any = None) -> Any:
        try:
            return self.local.value
        except AttributeError:
            raise AttributeError(self.name) from None

    def __set__(self, obj: Any, value: Any) -> None:
        self.local.value = value


@contextmanager
def isolated_router_state() -> Iterator[None]:
    """Make Powertools' per-request router state per thread while the local stack runs.

    Powertools keeps the request being resolved on the ``BaseRouter`` class itself
    (``BaseRouter.current_event``), shared by every resolver of the process: harmless in Lambda, where
    an environment serves one request at a time, but parallel local requests would read each other's
    event (and caller). Inside this context those two attributes hold one value per thread.
    """
    try:
        from aws_lambda_powertools.event_handler.api_gateway import BaseRouter
    except ImportError:
        yield
        return
    original_meta = type(BaseRouter)

    class PerThreadMeta(original_meta):  # type: ignore[misc,valid-type]
        def __setattr__(self, name: str, value: Any) -> None:
            slot = type.__getattribute__(self, "__dict__").get(name)
            if isinstance(slot, _PerThread):
                slot.__set__(None, value)
            else:
                super().__setattr__(name, value)

    saved = {name: BaseRouter.__dict__.get(name) for name in _PER_THREAD_ROUTER_STATE}
    for name in _PER_THREAD_ROUTER_STATE:
        type.__setattr__(BaseRouter, name, _PerThread(name))
    BaseRouter.__class__ = PerThreadMeta  # type: ignore[method-assign]
    try:
        yield
    finally:
        BaseRouter.__class__ = original_meta  # type: ignore[method-assign,assignment]
        for name, value in saved.items():
            if value is None:
                type.__delattr__(BaseRouter, name)
            else:
                type.__setattr__(BaseRouter, name, value)


class HandlerLoadError(Exception):
    """A function's handler cannot be imported or is not callable (a one-line reason)."""


class Environment:
    """One loaded copy of a function's handler module."""

    def __init__(self, function: Function, index: int) -> None:
        self.function = function
        self.module_name = f"local_lambda_{function.logical_id}_{index}"
        self.module = self._load()
        handler = getattr(self.module, function.attribute, None)
        if not callable(handler):
            raise HandlerLoadError(
                f"{function.logical_id}: {function.module_path} has no function {function.attribute!r}"
            )
        self.handler: Handler = handler

    def _load(self) -> ModuleType:
        path = self.function.module_path
        if not path.is_file():
            raise HandlerLoadError(f"{self.function.logical_id}: handler file {path} does not exist")
        spec = importlib.util.spec_from_file_location(self.module_name, path)
        if spec is None or spec.loader is None:
            raise HandlerLoadError(f"{self.function.logical_id}: cannot load {path}")
        module = importlib.util.module_from_spec(spec)
        # import under the function's own environment (service name, log level...), one at a time
        with _import_lock:
            sys.modules[self.module_name] = module
            try:
                with environ(self.function.environment):
                    spec.loader.exec_module(module)
            except Exception as exc:
                sys.modules.pop(self.module_name, None)
                reason = " ".join(str(exc).split())
                raise HandlerLoadError(
                    f"{self.function.logical_id}: importing {path} failed: {type(exc).__name__}: {reason}"
                ) from exc
        return module

    def unload(self) -> None:
        sys.modules.pop(self.module_name, None)


class FunctionPool:
    """The warm environments of one function."""

    def __init__(self, function: Function) -> None:
        self.function = function
        self.limit = function.reserved_concurrency or DEFAULT_CONCURRENCY
        self._idle: list[Environment] = []
        self._created = 0
        self._available = threading.Condition()
        self.invocations = 0

    def warm(self) -> None:
        """Load one environment now (start-up proves the handler imports)."""
        with self._available:
            self._created += 1
            index = self._created
        try:
            env = Environment(self.function, index)
        except Exception:
            with self._available:
                self._created -= 1
            raise
        with self._available:
            self._idle.append(env)

    @contextmanager
    def environment(self) -> Iterator[Environment]:
        with self._available:
            while not self._idle and self._created >= self.limit:
                self._available.wait(timeout=1.0)
            env = self._idle.pop() if self._idle else None
            if env is None:
                self._created += 1
                index = self._created
        if env is None:
            try:
                env = Environment(self.function, index)
            except Exception:
                with self._available:
                    self._created -= 1
                    self._available.notify()
                raise
        try:
            yield env
        finally:
            with self._available:
                self._idle.append(env)
                self.invocations += 1
                self._available.notify()

    def invoke(self, event: dict[str, Any]) -> Any:
        with self.environment() as env:
            context = LocalContext(
                function_name=self.function.logical_id, memory_limit_in_mb=self.function.memory
            )
            # its AWS calls are checked against its role in the stack's template
            with acting_as(self.function.logical_id, self.function.allowed_actions):
                return env.handler(event, context)

    def close(self) -> None:
        with self._available:
            for env in self._idle:
                env.unload()
            self._idle.clear()

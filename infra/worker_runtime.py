"""The runtime of one local Lambda worker: the local stand-in for Lambda's runtime interface client.

Run as a script in a fresh interpreter (``python -I infra/worker_runtime.py <code_dir> <handler>``, see
:mod:`infra.workers`), never imported: ``-I`` puts neither the repository nor this folder on
``sys.path``, so the function sees its ``CodeUri`` (first, as ``/var/task`` is in Lambda), the layer and the
installed libraries, and nothing of ``infra`` or ``tests``. It uses the standard library only.

Protocol: one JSON object per line. The runtime's original stdout carries it; the function's own stdout
(print, Powertools' JSON logs) goes to stderr, the stand-in for CloudWatch Logs. After the init it
writes ``{"ready": true, "init_ms"}`` (or the init error, then exits); then, per request:

* ``{"op": "invoke", "event", "request_id", "deadline_ms"}`` -> ``{"ok": true, "result"}`` or
  ``{"ok": false, "errorType", "errorMessage"}`` (an unhandled exception, as Lambda reports it);
* ``{"op": "describe"}`` -> the OpenAPI document of the module's Powertools resolver ``app`` (or null);
* ``{"op": "inspect"}`` -> what the process holds (module names, ``sys.path``, environment variable names),
  so tests can prove what a function can reach.

``--check`` (the local stack's start-up check, never a serving worker) reads a list of
``{"name", "code_dir", "handler", "environment"}`` and answers which handlers do not import.
"""

import importlib
import json
import os
import sys
import time
import traceback
from typing import Any

OPENAPI_TITLE = "Reward ledger API (local)"
OPENAPI_VERSION = "1.0.0"


class Context:
    """The parts of Lambda's context object that Powertools and handlers read."""

    def __init__(self, request_id: str, deadline_ms: float) -> None:
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "local")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.memory_limit_in_mb = int(os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"))
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/local")
        self.log_stream_name = "local"
        self.aws_request_id = request_id
        region = os.environ.get("AWS_REGION", "us-east-1")
        self.invoked_function_arn = f"arn:aws:lambda:{region}:000000000000:function:{self.function_name}"
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int(self._deadline_ms - time.time() * 1000))


def _send(channel: Any, message: dict[str, Any]) -> None:
    channel.write(json.dumps(message, default=str).encode() + b"\n")
    channel.flush()


def _error(exc: BaseException) -> dict[str, Any]:
    traceback.print_exception(exc, file=sys.stderr)  # Lambda logs the traceback of an unhandled error
    return {"ok": False, "errorType": type(exc).__name__, "errorMessage": str(exc)}


def _answer(module: Any, handler: Any, request: dict[str, Any]) -> dict[str, Any]:
    op = request.get("op")
    if op == "invoke":
        context = Context(str(request.get("request_id", "")), float(request.get("deadline_ms", 0)))
        try:
            return {"ok": True, "result": handler(request.get("event"), context)}
        except Exception as exc:
            return _error(exc)
    if op == "describe":
        generate = getattr(getattr(module, "app", None), "get_openapi_json_schema", None)
        if generate is None:
            return {"ok": True, "result": None}
        return {"ok": True, "result": json.loads(generate(title=OPENAPI_TITLE, version=OPENAPI_VERSION))}
    if op == "inspect":
        inspected = {
            "modules": sorted(sys.modules),
            "path": list(sys.path),
            "environment": sorted(os.environ),
        }
        return {"ok": True, "result": inspected}
    return {"ok": False, "errorType": "Runtime.UnknownOperation", "errorMessage": repr(op)}


def main(code_dir: str, handler_name: str) -> int:
    requests = sys.stdin.buffer
    replies = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # the function's stdout is its log
    started = time.perf_counter()
    sys.path.insert(0, code_dir)
    module_name, _, attribute = handler_name.rpartition(".")
    try:
        module = importlib.import_module(module_name)
        handler = getattr(module, attribute)
        if not callable(handler):
            raise TypeError(f"{handler_name} is not callable")
    except Exception as exc:  # Runtime.ImportModuleError / HandlerNotFound in Lambda
        _send(replies, {"ready": False, **_error(exc)})
        return 1
    _send(replies, {"ready": True, "init_ms": round((time.perf_counter() - started) * 1000, 1)})
    for line in requests:
        if line.strip():
            _send(replies, _answer(module, handler, json.loads(line)))
    return 0


def check() -> int:
    """Import each handler once, under its own variables and ``CodeUri``; print name -> error or null."""
    import importlib.util

    failures: dict[str, str | None] = {}
    for index, spec in enumerate(json.load(sys.stdin)):
        os.environ.clear()
        os.environ.update(spec["environment"])
        module_name, _, attribute = spec["handler"].rpartition(".")
        path = os.path.join(spec["code_dir"], *module_name.split(".")) + ".py"
        sys.path.insert(0, spec["code_dir"])
        try:
            found = importlib.util.spec_from_file_location(f"checked_handler_{index}", path)
            if found is None or found.loader is None:
                raise ImportError(f"handler file {path} does not exist")
            module = importlib.util.module_from_spec(found)
            found.loader.exec_module(module)
            if not callable(getattr(module, attribute, None)):
                raise AttributeError(f"{path} has no function {attribute!r}")
            failures[spec["name"]] = None
        except Exception as exc:
            failures[spec["name"]] = (
                f"importing {path} failed: {type(exc).__name__}: {' '.join(str(exc).split())}"
            )
        finally:
            sys.path.remove(spec["code_dir"])
    print(json.dumps(failures))
    return 0


if __name__ == "__main__":
    raise SystemExit(check() if sys.argv[1:] == ["--check"] else main(sys.argv[1], sys.argv[2]))

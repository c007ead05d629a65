"""Resolve and invoke the template's functions in process, the way Lambda would call them."""

from __future__ import annotations

import importlib.util
import os
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from types import ModuleType
from typing import Any

from infra.iam import acting_as
from infra.template import ROOT, sam_template

Handler = Callable[[dict[str, Any], Any], Any]


@dataclass
class LocalContext:
    """The parts of Lambda's context object that Powertools and handlers read."""

    function_name: str
    memory_limit_in_mb: int = 512
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = "/aws/lambda/local"
    log_stream_name: str = "local"
    function_version: str = "$LATEST"

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:us-east-1:000000000000:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def functions() -> dict[str, dict[str, Any]]:
    """Logical id -> properties of every AWS::Serverless::Function in the SAM template."""
    resources = sam_template().get("Resources", {})
    return {
        logical_id: resource.get("Properties", {})
        for logical_id, resource in resources.items()
        if resource.get("Type") == "AWS::Serverless::Function"
    }


def _static_env(props: dict[str, Any]) -> dict[str, str]:
    global_env = (
        sam_template().get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {})
    )
    own = props.get("Environment", {}).get("Variables", {})
    return {k: v for k, v in {**global_env, **own}.items() if isinstance(v, str)}


@contextmanager
def environ(values: dict[str, str]) -> Iterator[None]:
    """``os.environ`` with ``values`` set for the block (a function's own variables at import)."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


@cache
def load_module(logical_id: str) -> ModuleType:
    """Import a function's handler module by file (every function's module is called ``app``)."""
    props = functions()[logical_id]
    module_name, _ = str(props["Handler"]).rsplit(".", 1)
    path = ROOT / str(props["CodeUri"]) / f"{module_name.replace('.', '/')}.py"
    unique = f"lambda_{logical_id}"
    spec = importlib.util.spec_from_file_location(unique, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"{logical_id}: cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[unique] = module
    with environ({k: v for k, v in _static_env(props).items() if k.startswith("POWERTOOLS_")}):
        spec.loader.exec_module(module)
    return module


def load_handler(logical_id: str) -> Handler:
    props = functions()[logical_id]
    _, attr = str(props["Handler"]).rsplit(".", 1)
    handler: Handler = getattr(load_module(logical_id), attr)
    return handler


def invoke(logical_id: str, event: dict[str, Any]) -> Any:
    """Call the function's handler as Lambda would, its AWS calls checked against its role."""
    handler = load_handler(logical_id)
    with acting_as(logical_id):
        return handler(event, LocalContext(function_name=logical_id))

"""Cold start: import time of every handler module in template.yaml versus ``import boto3`` alone.

Each measurement is a fresh interpreter (a subprocess) that times, with ``time.perf_counter``, only the
import: the handler module loaded from its file the way Lambda loads ``CodeUri/Handler`` (with the layer
package importable and the function's static environment from the template), or ``import boto3``.
Interpreter start-up is not included (it is the same for both). Both wall time and the process's CPU
time are taken: on a machine loaded by other work the wall time mostly measures waiting for a core, while
the CPU time (``cpu_*`` figures) is what the import itself costs. The handler's environment is Lambda's
(task root, function name: Powertools traces as under ``Tracing: Active``), so the figure is the cold
path as Lambda runs it. Every module is measured
``BENCH_COLDSTART_RUNS`` times (default 5), rounds interleaved so background load hits every module alike,
in ``BENCH_COLDSTART_WORKERS`` parallel subprocesses (default 2); the figure is the median, in seconds,
and its ratio to boto3's median.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from infra.handlers import _static_env, functions
from infra.template import ROOT

BOTO3 = "boto3"
# What the libraries a handler needs cost by themselves, in the same run: a worker (boto3, PynamoDB, one
# pydantic model, Powertools' Logger, Metrics and Tracer class) and an HTTP function (the same plus
# Powertools' HTTP API resolver with validation, as edge.http builds it). A handler cannot import less.
FLOORS = {
    "floor_worker": (
        "import boto3, pynamodb.models, pydantic\n"
        "class M(pydantic.BaseModel):\n    a: int\n"
        "from aws_lambda_powertools import Logger, Metrics\n"
        "from aws_lambda_powertools.tracing.tracer import Tracer\n"
        "Logger(); Metrics()\n"
    ),
}
FLOORS["floor_http"] = (
    FLOORS["floor_worker"] + "from aws_lambda_powertools.event_handler import APIGatewayHttpResolver\n"
    "APIGatewayHttpResolver(enable_validation=True)\n"
)

_TIMER = """
import importlib.util, sys, time
target = sys.argv[1]
started, cpu_started = time.perf_counter(), time.process_time()
if target == "boto3":
    import boto3
elif target.startswith("code:"):
    exec(target[5:])
else:
    spec = importlib.util.spec_from_file_location("app", target)
    module = importlib.util.module_from_spec(spec)
    sys.modules["app"] = module
    spec.loader.exec_module(module)
print(time.perf_counter() - started, time.process_time() - cpu_started)
"""


def _env(extra: dict[str, str], code_dir: str | None, logical_id: str = "") -> dict[str, str]:
    """What the Lambda runtime gives the process: its task root and name (so Powertools traces, as
    ``Tracing: Active`` does in AWS), a region and credentials, and the function's static variables."""
    paths = [str(ROOT / "layers" / "reward_ledger")]
    if code_dir:
        paths.insert(0, code_dir)
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", ""),
        "PYTHONPATH": os.pathsep.join(paths),
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "POWERTOOLS_METRICS_NAMESPACE": "RewardLedger",
        "LEDGER_TABLE": "LedgerTable",
    }
    if code_dir:
        env.update(
            {
                "LAMBDA_TASK_ROOT": code_dir,
                "AWS_LAMBDA_FUNCTION_NAME": logical_id,
                "AWS_XRAY_CONTEXT_MISSING": "IGNORE_ERROR",
            }
        )
    env.update(extra)
    env["AWS_REGION"] = "us-east-1"
    return env


def targets() -> dict[str, tuple[str, dict[str, str]]]:
    """Name -> (import target, environment): boto3, then every function of the template."""
    found: dict[str, tuple[str, dict[str, str]]] = {BOTO3: (BOTO3, _env({}, None))}
    floor_env = _env({"PYDANTIC_DISABLE_PLUGINS": "__all__", "POWERTOOLS_SERVICE_NAME": "floor"}, None)
    found.update({name: (f"code:{code}", floor_env) for name, code in FLOORS.items()})
    for logical_id, props in sorted(functions().items()):
        module_name, _ = str(props["Handler"]).rsplit(".", 1)
        code_dir = ROOT / str(props["CodeUri"])
        path = code_dir / f"{module_name.replace('.', '/')}.py"
        found[logical_id] = (str(path), _env(_static_env(props), str(code_dir), logical_id))
    return found


def _time_once(target: str, env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one import in a fresh interpreter."""
    done = subprocess.run(  # noqa: S603 (this interpreter, a constant script, a path from template.yaml)
        [sys.executable, "-c", _TIMER, target],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"importing {target} failed:\n{done.stderr[-2000:]}")
    wall, cpu = done.stdout.strip().splitlines()[-1].split()
    return float(wall), float(cpu)


def run() -> dict[str, Any]:
    runs = int(os.environ.get("BENCH_COLDSTART_RUNS", "5"))
    workers = int(os.environ.get("BENCH_COLDSTART_WORKERS", "2"))
    found = targets()
    load_before = os.getloadavg()[0]
    jobs: list[str] = []
    rng = random.Random(8)
    for _ in range(runs):
        round_ = list(found)
        rng.shuffle(round_)
        jobs.extend(round_)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        times = list(pool.map(lambda name: (name, _time_once(*found[name])), jobs))
    samples: dict[str, list[float]] = {name: [] for name in found}
    cpu_samples: dict[str, list[float]] = {name: [] for name in found}
    for name, (wall, cpu) in times:
        samples[name].append(wall)
        cpu_samples[name].append(cpu)
    out = _figures(samples, "")
    out.update(_figures(cpu_samples, "cpu_"))
    load = {"load_average_before": round(load_before, 2), "load_average_after": round(os.getloadavg()[0], 2)}
    return {"cold_start": {"runs": runs, "parallel_workers": workers, **load, **out}}


def _figures(samples: dict[str, list[float]], prefix: str) -> dict[str, Any]:
    medians = {name: statistics.median(values) for name, values in samples.items()}
    base = medians[BOTO3]
    handlers = {name: m for name, m in medians.items() if name != BOTO3 and name not in FLOORS}
    figures: dict[str, Any] = {
        "boto3_import_s": round(base, 4),
        "library_floor_ratio_to_boto3": {name: round(medians[name] / base, 2) for name in FLOORS},
        "handler_import_s": {name: round(m, 4) for name, m in handlers.items()},
        "ratio_to_boto3": {name: round(m / base, 2) for name, m in handlers.items()},
        "ratio_to_boto3_median": round(statistics.median(handlers.values()) / base, 2),
        "ratio_to_boto3_max": round(max(handlers.values()) / base, 2),
        "slowest_handler": max(handlers, key=lambda name: handlers[name]),
    }
    return {f"{prefix}{key}": value for key, value in figures.items()}


if __name__ == "__main__":
    print(json.dumps(run(), indent=2, sort_keys=True))

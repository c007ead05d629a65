"""Cold start: every handler of template.yaml against ``import boto3``, as import and as cold path.

Each measurement is a fresh interpreter running ``bench/coldpath_probe.py``, which times two things in
one process: the import of the handler module, loaded from its file the way Lambda loads
``CodeUri/Handler`` (with the layer package importable and the function's environment from the
template), and the *cold path*: that import plus the first invocation with the function's sample event
(``events/<Function>/``, the first in name order), with AWS short-circuited at botocore's HTTP session
(every request gets a canned 200 of the operation's empty shape, so the call still builds its client,
serialises, signs and parses; no network time is counted). Work a handler defers from import to its
first call (the X-Ray SDK, a client, a model's schema) is in the cold path, so the cold path is what a
cold start costs and the import alone is the issue's figure. Interpreter start-up is in neither (it is
the same for every function). The baselines are measured the same way: ``import boto3`` alone (its cold
path adds one DynamoDB ``GetItem`` through a plain client), and the library floors below.

Both wall time and the process's CPU time are taken: on a machine loaded by other work the wall time
mostly measures waiting for a core, while the CPU time (``cpu_*`` figures) is what the work itself
costs. The handler's environment is Lambda's (task root, function name, a sampled trace header:
Powertools traces as under ``Tracing: Active``). Every target is measured ``BENCH_COLDSTART_RUNS``
times (default 5), rounds interleaved so background load hits every target alike, in
``BENCH_COLDSTART_WORKERS`` parallel subprocesses (default 2); the figure is the median, in seconds,
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
from pathlib import Path
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

PROBE = Path(__file__).resolve().parent / "coldpath_probe.py"
# Lambda's trace header: the first invocation opens real (sampled) X-Ray subsegments, as under
# ``Tracing: Active``; they go to the daemon address over UDP, where nothing listens here.
TRACE_HEADER = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
# boto3's first call: one DynamoDB GetItem through a plain boto3 client; the floors' is traced (the X-Ray
# SDK imported and botocore patched first, as a handler's first traced call does)
FIRST_CALL = "getitem"
TRACED_FIRST_CALL = "traced-getitem"


def _env(extra: dict[str, str], code_dir: str | None, logical_id: str = "") -> dict[str, str]:
    """What the Lambda runtime gives the process: its task root and name (so Powertools traces, as
    ``Tracing: Active`` does in AWS), a trace header, a region and credentials, and the function's
    variables."""
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
                "_X_AMZN_TRACE_ID": TRACE_HEADER,
            }
        )
    env.update(extra)
    env["AWS_REGION"] = "us-east-1"
    return env


def _resolved_env(props: dict[str, Any]) -> dict[str, str]:
    """The function's variables; a ``Ref`` (a queue URL, the bus name) gets a placeholder of its kind."""
    own = props.get("Environment", {}).get("Variables", {})
    refs = {k: v["Ref"] for k, v in own.items() if isinstance(v, dict) and "Ref" in v}
    placeholders = {
        name: f"https://sqs.us-east-1.amazonaws.com/000000000000/{ref}" if name.endswith("_URL") else ref
        for name, ref in refs.items()
    }
    return {**placeholders, **_static_env(props)}


def sample_event(logical_id: str) -> Path:
    """The function's first sample event in name order (tests/local/test_samples.py: every function has one)."""
    return sorted((ROOT / "events" / logical_id).glob("*.json"))[0]


def targets() -> dict[str, tuple[str, str, dict[str, str]]]:
    """Name -> (import target, first call, environment): boto3, the floors, every function of the template."""
    found: dict[str, tuple[str, str, dict[str, str]]] = {BOTO3: (BOTO3, FIRST_CALL, _env({}, None))}
    lambda_like = {"LAMBDA_TASK_ROOT": str(ROOT / "bench"), "AWS_LAMBDA_FUNCTION_NAME": "floor"}
    floor_env = _env(
        {
            "PYDANTIC_DISABLE_PLUGINS": "__all__",
            "POWERTOOLS_SERVICE_NAME": "floor",
            "AWS_XRAY_CONTEXT_MISSING": "IGNORE_ERROR",
            "_X_AMZN_TRACE_ID": TRACE_HEADER,
            **lambda_like,
        },
        None,
    )
    found.update({name: (f"code:{code}", TRACED_FIRST_CALL, floor_env) for name, code in FLOORS.items()})
    for logical_id, props in sorted(functions().items()):
        module_name, _ = str(props["Handler"]).rsplit(".", 1)
        code_dir = ROOT / str(props["CodeUri"])
        path = code_dir / f"{module_name.replace('.', '/')}.py"
        env = _env(_resolved_env(props), str(code_dir), logical_id)
        found[logical_id] = (str(path), str(sample_event(logical_id)), env)
    return found


def _time_once(target: str, first_call: str, env: dict[str, str]) -> tuple[float, float, float, float, str]:
    """(import wall s, import CPU s, cold-path wall s, cold-path CPU s, outcome) in a fresh interpreter; the
    outcome is what the first invocation answered and the AWS operations it called (``-``: none)."""
    done = subprocess.run(  # noqa: S603 (this interpreter, the probe, a path from template.yaml)
        [sys.executable, str(PROBE), target, first_call],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the cold path of {target} failed:\n{done.stderr[-2000:]}")
    wall, cpu, path_wall, path_cpu, outcome, calls = done.stdout.strip().splitlines()[-1].split()
    return float(wall), float(cpu), float(path_wall), float(path_cpu), f"{outcome} after {calls}"


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
    series: dict[str, dict[str, list[float]]] = {
        key: {name: [] for name in found} for key in ("wall", "cpu", "path_wall", "path_cpu")
    }
    outcomes: dict[str, set[str]] = {name: set() for name in found}
    for name, (wall, cpu, path_wall, path_cpu, outcome) in times:
        for key, value in (("wall", wall), ("cpu", cpu), ("path_wall", path_wall), ("path_cpu", path_cpu)):
            series[key][name].append(value)
        outcomes[name].add(outcome)
    out = _figures(series["wall"], "")
    out.update(_figures(series["cpu"], "cpu_"))
    boto3_import = {
        "": statistics.median(series["wall"][BOTO3]),
        "cpu_": statistics.median(series["cpu"][BOTO3]),
    }
    for prefix, key in (("", "path_wall"), ("cpu_", "path_cpu")):
        out.update(_figures(series[key], f"{prefix}cold_path_", boto3_import[prefix]))
    out["cold_path_events"] = {
        name: str(Path(first_call).relative_to(ROOT))
        for name, (_, first_call, _) in found.items()
        if first_call not in (FIRST_CALL, TRACED_FIRST_CALL)
    }
    out["cold_path_outcomes"] = {name: ",".join(sorted(seen)) for name, seen in outcomes.items()}
    load = {"load_average_before": round(load_before, 2), "load_average_after": round(os.getloadavg()[0], 2)}
    return {"cold_start": {"runs": runs, "parallel_workers": workers, **load, **out}}


def _figures(
    samples: dict[str, list[float]], prefix: str, boto3_import: float | None = None
) -> dict[str, Any]:
    """Medians and their ratios to ``import boto3`` (for a cold path, ``boto3_import`` is that import's
    median; the ratio to boto3's own cold path, an import plus one GetItem, is given beside it)."""
    medians = {name: statistics.median(values) for name, values in samples.items()}
    base = medians[BOTO3] if boto3_import is None else boto3_import
    handlers = {name: m for name, m in medians.items() if name != BOTO3 and name not in FLOORS}
    figures: dict[str, Any] = {
        "boto3_import_s" if boto3_import is None else "boto3_s": round(medians[BOTO3], 4),
        "library_floor_ratio_to_boto3": {name: round(medians[name] / base, 2) for name in FLOORS},
        "handler_import_s" if boto3_import is None else "handler_s": {
            n: round(m, 4) for n, m in handlers.items()
        },
        "ratio_to_boto3": {name: round(m / base, 2) for name, m in handlers.items()},
        "ratio_to_boto3_median": round(statistics.median(handlers.values()) / base, 2),
        "ratio_to_boto3_max": round(max(handlers.values()) / base, 2),
        "slowest_handler": max(handlers, key=lambda name: handlers[name]),
    }
    if boto3_import is not None:
        figures["ratio_to_boto3_cold_path_median"] = round(
            statistics.median(handlers.values()) / medians[BOTO3], 2
        )
        figures["library_floor_ratio_to_boto3_cold_path"] = {
            name: round(medians[name] / medians[BOTO3], 2) for name in FLOORS
        }
    return {f"{prefix}{key}": value for key, value in figures.items()}


if __name__ == "__main__":
    print(json.dumps(run(), indent=2, sort_keys=True))

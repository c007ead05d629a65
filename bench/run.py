"""`make bench`: run every bench/bench_*.py, print the figures and write bench/results.json."""

from __future__ import annotations

import importlib
import json
import os
import platform
import resource
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def deep_merge(into: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    for key, value in new.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            deep_merge(into[key], value)
        else:
            into[key] = value
    return into


# The event types of the comparison table, and the names feature benches report them under.
EVENTS = ("choice", "game_result", "withdrawal", "collect", "steal", "donate", "expiry")
ALIASES = {
    "collect": ("forest_collect",),
    "steal": ("forest_steal",),
    "donate": ("farm_donate",),
    "expiry": ("expiry_per_expired_lot",),
}


def summarise(results: dict[str, Any]) -> dict[str, Any]:
    """One row per event type: design calls (as the feature benches report them) and WCU, the textbook's."""
    calls = results.setdefault("ddb_calls_per_event", {})
    cost = results.get("write_cost_per_event", {})
    for event in EVENTS:
        # the feature bench's own figure wins over a derived one a partial run kept from an older file
        alias = next((a for a in ALIASES.get(event, ()) if a in calls), None)
        if alias is not None:
            calls[event] = calls[alias]
        elif event not in calls and event in cost:
            calls[event] = cost[event]["calls"]
    table: dict[str, Any] = {}
    for event in EVENTS:
        row: dict[str, Any] = {
            "design_calls": calls.get(event),
            "design_wcu": results.get("wcu_per_event", {}).get(event),
        }
        textbook_calls = results.get("textbook_ddb_calls_per_event", {}).get(event)
        textbook_wcu = results.get("textbook_wcu_per_event", {}).get(event)
        if textbook_calls:
            row["textbook_calls"] = textbook_calls
            if row["design_calls"] is not None:
                row["calls_ratio_design_over_textbook"] = round(row["design_calls"] / textbook_calls, 3)
        if textbook_wcu:
            row["textbook_wcu"] = textbook_wcu
            if row["design_wcu"] is not None:
                row["wcu_ratio_design_over_textbook"] = round(row["design_wcu"] / textbook_wcu, 3)
        table[event] = row
    return table


def _cpu() -> float:
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def main(argv: list[str]) -> int:
    only = set(argv)
    results: dict[str, Any] = {}
    if only and (HERE / "results.json").exists():  # a partial run updates the figures it measured
        results = json.loads((HERE / "results.json").read_text())
        results.pop("meta", None)
    timings: dict[str, float] = {}
    cpu: dict[str, float] = {}
    load_before = os.getloadavg()[0]
    started_all = time.perf_counter()
    for path in sorted(HERE.glob("bench_*.py")):
        name = path.stem
        if only and name not in only:
            continue
        module = importlib.import_module(f"bench.{name}")
        started, cpu_started = time.perf_counter(), _cpu()
        figures = module.run()
        timings[name] = round(time.perf_counter() - started, 2)
        cpu[name] = round(_cpu() - cpu_started, 2)
        deep_merge(results, figures)
        print(f"== {name} ({timings[name]} s, {cpu[name]} s of CPU)")
        print(json.dumps(figures, indent=2, sort_keys=True))
    results["per_event"] = summarise(results)
    print("== per event type")
    print(json.dumps(results["per_event"], indent=2, sort_keys=True))
    results["meta"] = {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "backend": "moto in process",
        "bench_seconds": timings,
        "bench_cpu_seconds": cpu,
        "total_seconds": round(time.perf_counter() - started_all, 1),
        "total_cpu_seconds": round(sum(cpu.values()), 1),
        "load_average_at_start": round(load_before, 2),
    }
    (HERE / "results.json").write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    print(f"wrote {HERE / 'results.json'} in {results['meta']['total_seconds']} s")
    try:
        from bench.chart import write_chart
    except ImportError:
        return 0
    write_chart(results, HERE / "results.png")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

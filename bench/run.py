"""`make bench`: run every bench/bench_*.py, print the figures and write bench/results.json."""

from __future__ import annotations

import importlib
import json
import platform
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


def main(argv: list[str]) -> int:
    only = set(argv)
    results: dict[str, Any] = {}
    timings: dict[str, float] = {}
    for path in sorted(HERE.glob("bench_*.py")):
        name = path.stem
        if only and name not in only:
            continue
        module = importlib.import_module(f"bench.{name}")
        started = time.perf_counter()
        figures = module.run()
        timings[name] = round(time.perf_counter() - started, 2)
        deep_merge(results, figures)
        print(f"== {name} ({timings[name]} s)")
        print(json.dumps(figures, indent=2, sort_keys=True))
    results["meta"] = {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "backend": "moto in process",
        "bench_seconds": timings,
    }
    (HERE / "results.json").write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    print(f"wrote {HERE / 'results.json'}")
    try:
        from bench.chart import write_chart
    except ImportError:
        return 0
    write_chart(results, HERE / "results.png")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

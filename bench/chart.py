"""bench/results.png: the figures of bench/results.json a reader compares, design next to textbook.

Four panels: DynamoDB calls per event type (happy path, and a replayed duplicate where measured), write
capacity units per event type, throughput on the same moto backend (events per second, design vs textbook
per event type, and ledger transfers vs raw ``TransactWriteItems``), and each handler's cold import time
as a multiple of ``import boto3`` (CPU time: the import alone and the cold path, the import plus the
first invocation).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # after matplotlib.use: the backend is chosen first
from matplotlib.axes import Axes

DESIGN = "#1f77b4"
TEXTBOOK = "#ff7f0e"
EVENTS = ("choice", "game_result", "withdrawal", "collect", "steal", "donate", "expiry")


def _pairs(
    ax: Axes,
    labels: list[str],
    design: list[float | None],
    textbook: list[float | None],
    title: str,
    unit: str,
    names: tuple[str, str] = ("design", "textbook"),
) -> None:
    width = 0.38
    xs = range(len(labels))
    for offset, values, colour, name in (
        (-width / 2, design, DESIGN, names[0]),
        (width / 2, textbook, TEXTBOOK, names[1]),
    ):
        points = [(x + offset, v) for x, v in zip(xs, values, strict=True) if v is not None]
        if not points:
            continue
        bars = ax.bar([p[0] for p in points], [p[1] for p in points], width, color=colour, label=name)
        ax.bar_label(bars, fmt="%g", fontsize=7, padding=1)
    ax.set_xticks(list(xs), labels, rotation=30, ha="right", fontsize=8)
    ax.set_title(title, fontsize=10)
    ax.set_ylabel(unit, fontsize=8)
    ax.margins(y=0.15)
    ax.legend(fontsize=8)


def write_chart(results: dict[str, Any], path: Path) -> None:
    per_event: dict[str, dict[str, Any]] = results.get("per_event", {})
    comparison: dict[str, Any] = results.get("textbook_comparison", {})
    events = [e for e in EVENTS if e in per_event]

    fig, axes = plt.subplots(2, 2, figsize=(13, 9))
    fig.suptitle(
        "Reward ledger on moto: the design (one transaction) vs the textbook (Powertools idempotency)"
    )

    _pairs(
        axes[0][0],
        events,
        [per_event[e].get("design_calls") for e in events],
        [per_event[e].get("textbook_calls") for e in events],
        "DynamoDB calls per event (happy path; expiry: per expired lot)",
        "calls",
    )
    _pairs(
        axes[0][1],
        events,
        [per_event[e].get("design_wcu") for e in events],
        [per_event[e].get("textbook_wcu") for e in events],
        "Write capacity units per event (transactional writes x2)",
        "WCU",
    )

    design_side: dict[str, Any] = comparison.get("design", {})
    textbook_side: dict[str, Any] = comparison.get("textbook", {})
    compared = [e for e in EVENTS if e in design_side and e in textbook_side]
    labels = [
        f"{e}\n(replay: {design_side[e]['replay_calls']:g} vs {textbook_side[e]['replay_calls']:g} calls)"
        for e in compared
    ]
    design_rates: list[float | None] = [design_side[e]["events_per_s"] for e in compared]
    textbook_rates: list[float | None] = [textbook_side[e]["events_per_s"] for e in compared]
    throughput = results.get("throughput", {})
    if "ledger_transfers_per_s" in throughput:
        labels.append("transfer vs\nraw TransactWriteItems")
        design_rates.append(throughput["ledger_transfers_per_s"])
        textbook_rates.append(throughput.get("raw_transact_write_items_per_s"))
    _pairs(
        axes[1][0],
        labels,
        design_rates,
        textbook_rates,
        "Throughput, same moto backend in process (higher is better)",
        "events per second",
        names=("design / ledger", "textbook / raw TransactWriteItems"),
    )

    _cold_panel(axes[1][1], results.get("cold_start", {}))

    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _cold_panel(ax: Axes, cold: dict[str, Any]) -> None:
    """Per handler, CPU time as a multiple of ``import boto3``: the import alone and the cold path (the
    import plus the first invocation); the floors are what the libraries cost alone, their cold path
    with one traced GetItem."""
    imports: dict[str, float] = cold.get("cpu_ratio_to_boto3", {})
    paths: dict[str, float] = cold.get("cpu_cold_path_ratio_to_boto3", {})
    if imports:
        names = sorted(imports, key=lambda n: paths.get(n, imports[n]))
        ys = range(len(names))
        height = 0.4
        labels = [n.removesuffix("Function") for n in names]
        ax.barh(
            [y - height / 2 for y in ys], [imports[n] for n in names], height, color=DESIGN, label="import"
        )
        if paths:
            ax.barh(
                [y + height / 2 for y in ys],
                [paths.get(n, 0) for n in names],
                height,
                color="#9ecae1",
                label="cold path (import + first invocation)",
            )
        ax.set_yticks(list(ys), labels)
        ax.axvline(1.0, color=TEXTBOOK, linestyle="--")
        ax.axvline(1.3, color="red", linestyle="--", linewidth=0.8, label="target 1.3x")
        floors: dict[str, float] = cold.get("cpu_library_floor_ratio_to_boto3", {})
        path_floors: dict[str, float] = cold.get("cpu_cold_path_library_floor_ratio_to_boto3", {})
        for name, style in (("floor_worker", ":"), ("floor_http", "-.")):
            if name in floors:  # what the libraries a handler needs cost by themselves
                label = f"{name} {floors[name]:.2f}x import"
                if name in path_floors:
                    label += f", {path_floors[name]:.2f}x cold path"
                ax.axvline(floors[name], color="grey", linestyle=style, label=label)
        ax.legend(fontsize=6, loc="lower right")
        ax.tick_params(axis="y", labelsize=7)
        boto3_s = cold.get("cpu_boto3_import_s", 0)
        load = cold.get("load_average_before", "?")
        ax.set_xlabel(
            f"median CPU time / median CPU of 'import boto3' alone ({boto3_s:.3f} s, dashed line); "
            f"load average {load}",
            fontsize=7,
        )
        ax.margins(x=0.08)
    ax.set_title(
        f"Cold start per handler (CPU), median of {cold.get('runs', '?')} fresh interpreters", fontsize=10
    )

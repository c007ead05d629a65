"""Cost and scale model: docs/scale.md, computed from bench/results.json and template.yaml (`make scale`).

Every figure of the page comes from the committed bench results, the template (memory, architecture,
reserved concurrency) and the ledger's shard policy, combined with the named assumptions below. Nothing
is typed by hand: `tests/unit/test_scale.py` checks that docs/scale.md is what this script writes.
"""

from __future__ import annotations

import json
import math
import sys
import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results.json"
OUTPUT = ROOT / "docs" / "scale.md"
LEDGER_TOML = ROOT / "layers" / "reward_ledger" / "reward_ledger" / "data" / "ledger.toml"

# ---- prices: AWS us-east-1 public price pages, read 2026-12-01 (on-demand, no free tier, no savings plan)
PRICE_DATE = "2026-12-01, us-east-1"
DDB_WRITE_REQUEST_UNIT_USD = 0.625 / 1e6  # DynamoDB on-demand, per write request unit
DDB_READ_REQUEST_UNIT_USD = 0.125 / 1e6  # DynamoDB on-demand, per read request unit
LAMBDA_ARM_GB_SECOND_USD = 0.0000133334  # Lambda arm64 duration, first 7.5 billion GB-s per month
LAMBDA_REQUEST_USD = 0.20 / 1e6  # Lambda invocations
HTTP_API_REQUEST_USD = 1.00 / 1e6  # API Gateway HTTP API, first 300 million requests per month

# ---- stated assumptions
DDB_CALL_LATENCY_MS = (
    10.0  # one DynamoDB call seen from Lambda in-region (single-digit ms, transactions more)
)
RRU_PER_READ_CALL = 1.0  # a read call of this design returns at most 4 KB, strongly consistent
LAMBDA_FULL_VCPU_MB = 1769  # Lambda gives one full vCPU at 1,769 MB, proportionally less below
BENCH_CPU_TO_GRAVITON = 1.0  # one bench-machine CPU second taken as one Graviton CPU second
PARTITION_WCU_PER_S = 1000  # DynamoDB's per-partition write limit (an item lives on one partition)
BALANCE_ITEM_TX_WCU = 2  # a balance shard item is < 1 KB: 2 WCU in a transaction
DAILY_USERS = 100_000_000
EVENTS_PER_USER_PER_DAY = 5
PEAK_FACTOR = 10  # peak second over the day's average second
CAMPAIGN_STORM_RESULTS_PER_S = 10_000  # the question: one campaign's budget at 10k results/s
EXPIRING_ITEMS_PER_USER_PER_DAY = 1.0  # oxygen lots, eggs or holds left to expire, per daily user
# Share of the day's user events by type (equal: no production mix is known yet).
EVENT_MIX = {e: 1 / 6 for e in ("choice", "game_result", "withdrawal", "collect", "steal", "donate")}
# The function that serves each event type, and the hot (sharded) accounts each event writes once.
FUNCTION_OF = {
    "choice": "SavingsFunction",
    "game_result": "GamesFunction",
    "withdrawal": "WithdrawalsFunction",
    "collect": "ForestFunction",
    "steal": "ForestFunction",
    "donate": "FarmFunction",
    "expiry": "ExpiryWorkerFunction",
}
HOT_ACCOUNTS = {  # account (policy kind in ledger.toml) -> the event type writing one of its shards
    "system/house-budget/CNY (system)": ("game_result", "system"),
    "campaign:<id>/budget/CNY (campaign)": ("game_result", "campaign"),
    "system/hold/CNY (system)": ("withdrawal", "system"),
    "charity:<project>/pool/EGG (charity)": ("donate", "charity"),
    "system/expired/O2 (system)": ("expiry", "system"),
}


def _template() -> dict[str, Any]:
    from infra.template import sam_template

    return sam_template()


def _function(template: dict[str, Any], name: str) -> dict[str, Any]:
    defaults = template.get("Globals", {}).get("Function", {})
    props = template["Resources"][name]["Properties"]
    return {
        "memory_mb": int(props.get("MemorySize", defaults.get("MemorySize", 128))),
        "arch": (props.get("Architectures") or defaults.get("Architectures") or ["x86_64"])[0],
        "reserved": int(props.get("ReservedConcurrentExecutions", 0)),
    }


def _write_calls(by_operation: dict[str, Any]) -> int:
    return len(by_operation)  # one call per write operation kind in these event types


def event_costs(results: dict[str, Any], template: dict[str, Any]) -> dict[str, dict[str, dict[str, float]]]:
    """Per event type and side (design, textbook): calls, units, milliseconds and USD per million."""
    edge_ms = results["http_edge"]["edge_cpu_ms"]
    costs: dict[str, dict[str, dict[str, float]]] = {}
    for side in ("design", "textbook"):
        for event, row in results["textbook_comparison"][side].items():
            gsi = results["write_cost_per_event"][event].get("gsi_wcu", 0.0) if side == "design" else None
            costs.setdefault(event, {})[side] = _cost(
                row, gsi, edge_ms, _function(template, FUNCTION_OF[event])
            )
    expiry = results["write_cost_per_event"]["expiry"]
    swept = results["expiry"]["users_20000"]
    per_lot_ms = 1000 * swept["sweep_seconds"] / swept["expired_lots"]
    worker = _function(template, FUNCTION_OF["expiry"])
    costs["expiry"] = {
        "design": _usd(
            calls=results["ddb_calls_per_event"]["expiry"],
            wcu=expiry["wcu"] + expiry.get("gsi_wcu", 0.0),
            rru=0.0,
            duration_ms=per_lot_ms,
            memory_mb=worker["memory_mb"],
            http=False,
            invocations=0.0,
        )
    }
    return costs


def _cost(
    row: dict[str, Any], gsi_wcu: float | None, edge_ms: float, function: dict[str, Any]
) -> dict[str, float]:
    reads = max(0.0, row["calls"] - _write_calls(row["wcu_by_operation"]))
    cpu_ms = (edge_ms + row["client_cpu_ms"]) * BENCH_CPU_TO_GRAVITON
    slowdown = max(1.0, LAMBDA_FULL_VCPU_MB / function["memory_mb"])
    duration = cpu_ms * slowdown + row["calls"] * DDB_CALL_LATENCY_MS
    wcu = row["wcu"] + (gsi_wcu if gsi_wcu is not None else 0.0)
    return _usd(row["calls"], wcu, reads * RRU_PER_READ_CALL, duration, function["memory_mb"], True, 1.0)


def _usd(
    calls: float, wcu: float, rru: float, duration_ms: float, memory_mb: int, http: bool, invocations: float
) -> dict[str, float]:
    gb_s = (
        math.ceil(duration_ms) / 1000 * memory_mb / 1024
        if invocations
        else duration_ms / 1000 * memory_mb / 1024
    )
    usd = {
        "dynamodb": 1e6 * (wcu * DDB_WRITE_REQUEST_UNIT_USD + rru * DDB_READ_REQUEST_UNIT_USD),
        "lambda": 1e6 * (gb_s * LAMBDA_ARM_GB_SECOND_USD + invocations * LAMBDA_REQUEST_USD),
        "http_api": 1e6 * HTTP_API_REQUEST_USD if http else 0.0,
    }
    return {
        "calls": calls,
        "wcu": wcu,
        "rru": rru,
        "duration_ms": duration_ms,
        **usd,
        "total": sum(usd.values()),
    }


def _shards(policy: dict[str, Any], kind: str) -> int:
    return int(policy["accounts"]["kinds"].get(kind, policy["accounts"]["default"])["shards"])


def render(results: dict[str, Any], template: dict[str, Any], policy: dict[str, Any]) -> str:
    costs = event_costs(results, template)
    out = [
        "# Cost and scale model",
        "",
        "Generated by `make scale` (`bench/scale.py`) from `bench/results.json`, `template.yaml` and",
        "`data/ledger.toml`; do not edit by hand. Prices: AWS public on-demand prices, " + PRICE_DATE + ".",
        "",
        "## Assumptions (named constants in bench/scale.py)",
        "",
        f"- DynamoDB on-demand: ${DDB_WRITE_REQUEST_UNIT_USD * 1e6:.3f} per million write units, "
        f"${DDB_READ_REQUEST_UNIT_USD * 1e6:.3f} per million read units; {RRU_PER_READ_CALL:g} read unit per read call.",
        f"- Lambda arm64: ${LAMBDA_ARM_GB_SECOND_USD:.10f} per GB-second, ${LAMBDA_REQUEST_USD * 1e6:.2f} per million "
        f"requests; HTTP API ${HTTP_API_REQUEST_USD * 1e6:.2f} per million requests.",
        f"- Lambda duration = (HTTP edge CPU + the event's client CPU, measured without moto's own work) x "
        f"{LAMBDA_FULL_VCPU_MB} MB / memory (a function below {LAMBDA_FULL_VCPU_MB} MB has a fraction of a vCPU) "
        f"+ DynamoDB calls x {DDB_CALL_LATENCY_MS:g} ms, billed per ms. "
        f"HTTP edge CPU measured: {results['http_edge']['edge_cpu_ms']:.3f} ms per request.",
        f"- Scale: {DAILY_USERS:,} daily users x {EVENTS_PER_USER_PER_DAY} events, peak {PEAK_FACTOR}x the "
        "average second, an equal mix of the six user event types; "
        f"{EXPIRING_ITEMS_PER_USER_PER_DAY:g} expiring item per user per day; "
        f"{PARTITION_WCU_PER_S:,} WCU/s per partition, {BALANCE_ITEM_TX_WCU} WCU per transactional balance write.",
        "",
        "## USD per million events: the design against the textbook alternative",
        "",
        "| event | side | DynamoDB calls | WCU (incl. GSI) | RRU | Lambda ms | DynamoDB $ | Lambda $ | HTTP API $ | total $ |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for event, sides in costs.items():
        for side, c in sides.items():
            out.append(
                f"| {event} | {side} | {c['calls']:.3g} | {c['wcu']:.3g} | {c['rru']:.3g} | {c['duration_ms']:.1f} | "
                f"{c['dynamodb']:.2f} | {c['lambda']:.2f} | {c['http_api']:.2f} | {c['total']:.2f} |"
            )
    out += [
        "",
        "The textbook side's WCU leave out its GSI writes (its journal rows are the same items as the design's),",
        "so the comparison is conservative for the design. Expiry has no textbook counterpart and no HTTP request;",
        "its Lambda time is the measured sweep wall time per lot on moto (an upper bound: it includes the backend).",
        "",
    ]
    out += _scale(results, template, policy, costs)
    return "\n".join(out) + "\n"


def _scale(
    results: dict[str, Any], template: dict[str, Any], policy: dict[str, Any], costs: dict[str, Any]
) -> list[str]:
    daily = DAILY_USERS * EVENTS_PER_USER_PER_DAY
    average = daily / 86_400
    peak = average * PEAK_FACTOR
    rate = {event: peak * share for event, share in EVENT_MIX.items()}
    expiring_per_day = DAILY_USERS * EXPIRING_ITEMS_PER_USER_PER_DAY
    wcu_peak = sum(r * costs[e]["design"]["wcu"] for e, r in rate.items())
    cost_day = sum(daily * share * costs[e]["design"]["total"] / 1e6 for e, share in EVENT_MIX.items())
    expiry_day = expiring_per_day * costs["expiry"]["design"]["total"] / 1e6
    textbook_day = sum(daily * share * costs[e]["textbook"]["total"] / 1e6 for e, share in EVENT_MIX.items())
    out = [
        f"## {DAILY_USERS / 1e6:.0f} M daily users",
        "",
        f"- events per day: {daily:,.0f}; average {average:,.0f} per second; peak {peak:,.0f} per second "
        f"({peak / len(rate):,.0f} per second of each event type).",
        f"- table writes at peak: {wcu_peak:,.0f} WCU/s (GSI writes included).",
        f"- per day: user events ${cost_day:,.0f} (the textbook alternative ${textbook_day:,.0f}), "
        f"plus the expiry sweep ${expiry_day:,.0f}.",
        "",
        "### Hot items and the shards they need",
        "",
    ]
    share = results["hot_item_write_share"]
    imbalance = share["max"] / share["ideal"]
    out += [
        f"A leg picks a shard by hash; measured, the busiest of {share['shards']} shards took {share['max']:.3f} of "
        f"the writes (ideal {share['ideal']:.3f}), so a shard carries {imbalance:.2f}x its fair share. Shards needed "
        f"= writes/s x {BALANCE_ITEM_TX_WCU} WCU x {imbalance:.2f} / {PARTITION_WCU_PER_S:,} WCU/s.",
        "",
        "| hot account | writes/s at peak | shards needed | shards configured |",
        "|---|---|---|---|",
    ]
    expiry_rate = expiring_per_day / 86_400 * PEAK_FACTOR
    for account, (event, kind) in HOT_ACCOUNTS.items():
        writes = expiry_rate if event == "expiry" else rate[event]
        need = math.ceil(writes * BALANCE_ITEM_TX_WCU * imbalance / PARTITION_WCU_PER_S)
        out.append(f"| {account} | {writes:,.0f} | {need} | {_shards(policy, kind)} |")
    storm = math.ceil(CAMPAIGN_STORM_RESULTS_PER_S * BALANCE_ITEM_TX_WCU * imbalance / PARTITION_WCU_PER_S)
    out += [
        f"| one campaign budget at {CAMPAIGN_STORM_RESULTS_PER_S:,} sponsored results/s | "
        f"{CAMPAIGN_STORM_RESULTS_PER_S:,} | {storm} | {_shards(policy, 'campaign')} |",
    ]
    merchants = results.get("merchants")
    if merchants:
        awards = merchants["storm"]
        award_imbalance = awards["hottest_share"] / awards["ideal_share"]
        award_storm = math.ceil(
            CAMPAIGN_STORM_RESULTS_PER_S * BALANCE_ITEM_TX_WCU * award_imbalance / PARTITION_WCU_PER_S
        )
        out.append(
            f"| one merchant campaign's budget at {CAMPAIGN_STORM_RESULTS_PER_S:,} awards/s "
            f"(its own storm: {award_imbalance:.2f}x) | {CAMPAIGN_STORM_RESULTS_PER_S:,} | {award_storm} | "
            f"{awards['budget_shards']} |"
        )
    out += [
        "",
        "A row whose need exceeds its configuration is a change to `data/ledger.toml` before that traffic",
        "(more shards only spread writes; reads of the balance sum them).",
        "",
    ]
    if merchants:
        out += [
            "### Merchant campaigns",
            "",
            f"Measured (`bench/bench_merchants.py`): an award is {merchants['award_calls']:g} DynamoDB call (its "
            f"transaction); a trigger evaluated from an event is {merchants['evaluate_calls']:g} (the active "
            f"registry's Query, then the award); a checkout redemption is {merchants['redemption_calls']:g} call, "
            f"no read. In a storm of {awards['awards']:,} awards on one campaign the hottest item took "
            f"{awards['hottest_share']:.3f} of the writes (ideal {awards['ideal_share']:.3f} over "
            f"{awards['budget_shards']} budget shards). Their write units are not measured yet, so they are not "
            "in the cost table above.",
            "",
        ]
    out += [
        "### GSI write fan-out",
        "",
        "| event | GSI writes per event | HistoryIndex | ExpiryIndex | GSI writes/s at peak |",
        "|---|---|---|---|---|",
    ]
    for event, r in rate.items():
        row = results["write_cost_per_event"][event]
        by_index = row.get("gsi_writes_by_index", {})
        out.append(
            f"| {event} | {row.get('gsi_writes', 0):.3g} | {by_index.get('HistoryIndex', 0):.3g} | "
            f"{by_index.get('ExpiryIndex', 0):.3g} | {r * row.get('gsi_writes', 0):,.0f} |"
        )
    shards = int(policy["time"]["expiry_shards"])
    expiry_gsi = rate["collect"] * results["write_cost_per_event"]["collect"].get(
        "gsi_writes_by_index", {}
    ).get("ExpiryIndex", 0)
    out += [
        "",
        f"HistoryIndex is keyed by user account, so its writes spread like users. ExpiryIndex is keyed by "
        f"expiry shard (not by day) over {shards} shards: at peak the collect path alone moves {expiry_gsi:,.0f} items/s "
        f"out of it, {expiry_gsi / shards:,.0f} per shard partition against {PARTITION_WCU_PER_S:,} WCU/s "
        f"(GSI back-pressure throttles the table's writes), so `expiry_shards` needs "
        f"{math.ceil(expiry_gsi / PARTITION_WCU_PER_S * imbalance)} or more at this scale.",
        "",
        "### The expiry sweep",
        "",
    ]
    worker = _function(template, FUNCTION_OF["expiry"])
    per_lot = costs["expiry"]["design"]["duration_ms"] / 1000
    seconds = expiring_per_day * per_lot / worker["reserved"]
    out += [
        f"{expiring_per_day:,.0f} items expire per day; measured {per_lot * 1000:.2f} ms per expired lot "
        f"(moto, upper bound) and {results['ddb_calls_per_event']['expiry']:.3f} DynamoDB calls per lot; "
        f"with the worker's {worker['reserved']} reserved executions the day's sweep takes "
        f"{seconds / 3600:,.1f} hours of wall time ({expiring_per_day * per_lot / 3600:,.0f} execution-hours). "
        f"To sweep each hour's expiries within that hour it needs "
        f"{math.ceil(expiring_per_day / 24 * per_lot / 3600):,} concurrent executions (and as many expiry shards "
        "for the jobs to run in parallel).",
        "",
        "## Reserved concurrency against the load",
        "",
        "| function | memory MB | arch | reserved | ms per request | requests/s at reserved | needed at peak |",
        "|---|---|---|---|---|---|---|",
    ]
    by_function: dict[str, list[str]] = {}
    for event, name in FUNCTION_OF.items():
        by_function.setdefault(name, []).append(event)
    for name, events in by_function.items():
        f = _function(template, name)
        ms = max(costs[e]["design"]["duration_ms"] for e in events)
        load = sum(rate.get(e, expiry_rate if e == "expiry" else 0.0) for e in events)
        out.append(
            f"| {name} | {f['memory_mb']} | {f['arch']} | {f['reserved']} | {ms:.1f} | "
            f"{f['reserved'] * 1000 / ms:,.0f} | {math.ceil(load * ms / 1000):,} |"
        )
    out += [
        "",
        "The reserved values are sized for the launch quota (docs/operations.md); the last column is the",
        "concurrency this scale needs: a quota raise and new reservations before that traffic.",
    ]
    return out


def main(argv: list[str]) -> int:
    results = json.loads(RESULTS.read_text())
    policy = tomllib.loads(LEDGER_TOML.read_text())
    text = render(results, _template(), policy)
    if argv and argv[0] == "--check":
        return 0 if OUTPUT.exists() and OUTPUT.read_text() == text else 1
    OUTPUT.write_text(text)
    print(f"wrote {OUTPUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

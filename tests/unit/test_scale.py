"""docs/scale.md is what bench/scale.py computes from the committed bench results (no figure by hand)."""

from __future__ import annotations

import json
import tomllib
from copy import deepcopy

from bench import scale


def _inputs() -> tuple[dict, dict, dict]:
    results = json.loads(scale.RESULTS.read_text())
    return results, scale._template(), tomllib.loads(scale.LEDGER_TOML.read_text())


def test_docs_scale_md_is_generated_from_the_committed_results() -> None:
    assert scale.OUTPUT.read_text() == scale.render(*_inputs()), "run `make scale` and commit docs/scale.md"


def test_the_figures_follow_the_measurements() -> None:
    results, template, policy = _inputs()
    base = scale.event_costs(results, template)
    heavier = deepcopy(results)
    heavier["textbook_comparison"]["design"]["choice"]["wcu"] *= 2
    heavier["http_edge"]["edge_cpu_ms"] += 10
    changed = scale.event_costs(heavier, template)
    assert changed["choice"]["design"]["dynamodb"] > base["choice"]["design"]["dynamodb"]
    assert changed["steal"]["design"]["lambda"] > base["steal"]["design"]["lambda"]
    assert scale.render(heavier, template, policy) != scale.render(results, template, policy)

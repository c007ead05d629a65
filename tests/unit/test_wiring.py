"""Every function of template.yaml, imported alone as its Lambda imports it, is wired completely.

Each function runs in a fresh interpreter (``python -I``) whose only importable code is its ``CodeUri`` and
the layer (``reward_ledger``): not ``tests``, not ``infra``, not another function. What its handler builds
(the runtime's ledger and sweeper) must carry every resolution hook and expirer the product declares, and
every table model must point at the function's ``LEDGER_TABLE``. Before the wiring was explicit, the
expiry worker's ledger had no resolution hook at all (timeouts kept a withdrawal's daily limit, a rental's
slot and a held reward's review listing).
"""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pynamodb.models import Model

import reward_ledger
from infra.handlers import functions
from infra.template import ROOT, sam_template
from reward_ledger.ledger.models import LedgerTableMeta
from reward_ledger.wiring import PRODUCT

PROBE = r"""
import importlib, json, os, sys
sys.path.insert(0, os.getcwd())  # Lambda's /var/task: the function's CodeUri
for name in ("tests", "infra", "bench", "functions"):
    try:
        importlib.import_module(name)
    except ModuleNotFoundError:
        continue
    raise SystemExit(f"{name} is importable: the probe is not isolated")
importlib.import_module(sys.argv[1])
from reward_ledger import runtime
from reward_ledger.wiring import PRODUCT
ledger, sweeper = runtime.ledger(), runtime.sweeper()
print(json.dumps({
    "hooks": sorted(ledger.resolution_hooks),
    "expirers": sorted(sweeper.expirers),
    "sweeper_ledger_is_runtime_ledger": sweeper.ledger is ledger,
    "unbound": sorted(m.__name__ for m in PRODUCT.models if m.Meta.table_name != os.environ["LEDGER_TABLE"]),
}))
"""


def _environment(props: dict[str, Any]) -> dict[str, str]:
    """The function's own variables (a reference becomes a made-up physical name) and nothing of ours."""
    glob = sam_template().get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {})
    variables = {**glob, **props.get("Environment", {}).get("Variables", {})}
    parameters = sam_template().get("Parameters", {})

    def value_of(key: str, value: Any) -> str:
        if isinstance(value, str):
            return value
        ref = value.get("Ref") if isinstance(value, dict) else None
        default = parameters.get(ref, {}).get("Default") if isinstance(ref, str) else None
        return str(default) if default is not None else f"local-{key}"

    env = {key: value_of(key, value) for key, value in variables.items()}
    return {
        **env,
        "PATH": os.environ.get("PATH", ""),
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "POWERTOOLS_TRACE_DISABLED": "true",
    }


FUNCTIONS = sorted(functions())
#: probes run side by side (each is a cold interpreter importing boto3, Powertools and the layer)
PARALLEL_PROBES = 4


def _probe(logical_id: str) -> subprocess.Popen[str]:
    props = functions()[logical_id]
    module = str(props["Handler"]).rsplit(".", 1)[0]
    return subprocess.Popen(  # noqa: S603 - our own interpreter on our own probe
        [sys.executable, "-I", "-c", PROBE, module],
        cwd=ROOT / str(props["CodeUri"]),
        env=_environment(props),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture(scope="module")
def built() -> dict[str, tuple[int, str, str]]:
    """logical id -> (exit code, stdout, stderr) of its probe."""
    results: dict[str, tuple[int, str, str]] = {}
    pending = list(FUNCTIONS)
    while pending:
        running = {logical_id: _probe(logical_id) for logical_id in pending[:PARALLEL_PROBES]}
        pending = pending[PARALLEL_PROBES:]
        for logical_id, process in running.items():
            out, err = process.communicate(timeout=180)
            results[logical_id] = (process.returncode, out, err)
    return results


@pytest.mark.slow
@pytest.mark.parametrize("logical_id", FUNCTIONS)
def test_a_function_imported_alone_builds_a_fully_wired_ledger_and_sweeper(
    logical_id: str, built: dict[str, tuple[int, str, str]]
) -> None:
    code, out, err = built[logical_id]
    assert code == 0, err[-2000:]
    assert json.loads(out.strip().splitlines()[-1]) == {
        "hooks": sorted(PRODUCT.resolution_hooks),
        "expirers": sorted(PRODUCT.expirers),
        "sweeper_ledger_is_runtime_ledger": True,
        "unbound": [],
    }


def _layer_models() -> set[type[Model]]:
    """Every model of the ledger table defined anywhere in the layer."""
    found: set[type[Model]] = set()
    for info in pkgutil.walk_packages(reward_ledger.__path__, "reward_ledger."):
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            meta = getattr(value, "Meta", None)
            is_model = isinstance(value, type) and issubclass(value, Model)
            if is_model and isinstance(meta, type) and issubclass(meta, LedgerTableMeta):
                found.add(value)
    return found


def test_the_wiring_declares_every_table_model_of_the_layer() -> None:
    declared = set(PRODUCT.models)
    assert len(declared) == len(PRODUCT.models), "a model is declared twice"
    assert _layer_models() - declared == set(), "a model of the ledger table is missing from the wiring"


def test_every_function_of_the_template_is_probed() -> None:
    """The probe covers the template's functions, each with a handler file that exists."""
    assert len(FUNCTIONS) >= 20
    for logical_id in FUNCTIONS:
        props = functions()[logical_id]
        module = str(props["Handler"]).rsplit(".", 1)[0]
        assert (Path(ROOT) / str(props["CodeUri"]) / f"{module}.py").is_file(), logical_id


def test_the_declared_kinds_are_the_features_constants_and_every_reference_resolves() -> None:
    """The wiring writes kinds out (declaring imports nothing); each is the constant its feature uses."""
    from reward_ledger import challenges, farm, forest, loyalty, points, rentals, sweep
    from reward_ledger.campaigns import vouchers
    from reward_ledger.games import rewards, withdrawals

    expiring = {sweep.HOLD_KIND, forest.LOT_KIND, farm.BATCH_KIND, vouchers.EXPIRY_KIND, points.LOT_KIND}
    assert set(PRODUCT.expirers) == expiring | {challenges.MISSED_EXP_KIND}
    assert PRODUCT.expirers[points.LOT_KIND] is loyalty.expire_lots
    assert PRODUCT.expirers[challenges.MISSED_EXP_KIND] is challenges.expire_missed
    assert challenges.REMINDER in {kind.name for kind in PRODUCT.reminder_kinds}
    assert set(PRODUCT.resolution_hooks) == {
        rentals.RENTAL_KIND,
        withdrawals.WITHDRAWAL_KIND,
        rewards.RESULT_KIND,
    }
    assert PRODUCT.expirers[forest.LOT_KIND] is forest.expire_lots
    assert PRODUCT.resolution_hooks[withdrawals.WITHDRAWAL_KIND] is withdrawals.resolved
    for mapping in (PRODUCT.expirers, PRODUCT.resolution_hooks, PRODUCT.reversal_hooks):
        assert all(callable(mapping[kind]) for kind in mapping)
    assert len(PRODUCT.reminder_kinds) >= 6


LAZY_PROBE = r"""
import importlib, json, os, sys
sys.path.insert(0, os.getcwd())
importlib.import_module(sys.argv[1])
print(json.dumps(sorted(m for m in sys.modules if m.startswith("reward_ledger."))))
"""


def test_a_handler_imports_only_the_features_it_calls() -> None:
    """The accounts handler reads balances and the journal: no game, forest, farm or merchant code."""
    props = functions()["AccountsFunction"]
    done = subprocess.run(  # noqa: S603 - our own interpreter on our own probe
        [sys.executable, "-I", "-c", LAZY_PROBE, "app"],
        cwd=ROOT / str(props["CodeUri"]),
        env=_environment(props),
        capture_output=True,
        text=True,
        timeout=180,
        check=True,
    )
    imported = set(json.loads(done.stdout.strip().splitlines()[-1]))
    features = {"games", "forest", "farm", "campaigns", "seeds", "rentals", "savings", "reminders", "sweep"}
    assert not {m for m in imported if m.split(".")[1] in features}

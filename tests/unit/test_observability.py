"""Observability: tracing costs nothing at import, and the dashboard's ledger metrics are emitted."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from typing import Any

import pytest

from infra.template import ROOT
from reward_ledger.ledger.accounts import Account
from reward_ledger.ledger.core import _budget_spent
from tests.conftest import Api, fund

_PROBE = """
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("app", sys.argv[1])
module = importlib.util.module_from_spec(spec)
sys.modules["app"] = module
spec.loader.exec_module(module)
at_import = "aws_xray_sdk.core" in sys.modules
with module.tracer.provider.in_subsegment(name="## probe") as subsegment:
    subsegment.put_annotation(key="probe", value=True)
loaded = "aws_xray_sdk.core" in sys.modules
patched = sorted(sys.modules["aws_xray_sdk.core.patcher"]._PATCHED_MODULES) if loaded else []
print(json.dumps({"at_import": at_import, "loaded": loaded, "patched": patched}))
"""


def _probe(tracing: bool) -> dict[str, Any]:
    code_dir = ROOT / "functions" / "games"
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": os.pathsep.join([str(code_dir), str(ROOT / "layers" / "reward_ledger")]),
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "LEDGER_TABLE": "LedgerTable",
        "POWERTOOLS_SERVICE_NAME": "games",
        "AWS_XRAY_CONTEXT_MISSING": "IGNORE_ERROR",
    }
    if tracing:  # what Lambda sets: Powertools traces only inside a Lambda task root
        env.update({"LAMBDA_TASK_ROOT": str(code_dir), "AWS_LAMBDA_FUNCTION_NAME": "GamesFunction"})
    else:
        env["POWERTOOLS_TRACE_DISABLED"] = "true"
    done = subprocess.run(  # noqa: S603 (this interpreter, a constant script)
        [sys.executable, "-c", _PROBE, str(code_dir / "app.py")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    found: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


def test_tracing_in_lambda_loads_xray_and_patches_botocore_on_the_first_traced_call_not_at_import() -> None:
    found = _probe(tracing=True)
    assert found["at_import"] is False
    assert found["loaded"] is True
    assert found["patched"] == ["botocore"]  # not every library the SDK finds installed


def test_disabled_tracing_never_imports_the_xray_sdk() -> None:
    found = _probe(tracing=False)
    assert found == {"at_import": False, "loaded": False, "patched": []}


def test_every_handler_takes_its_tracer_logger_and_metrics_from_observability() -> None:
    """A handler importing Powertools' Tracer itself would pay the X-Ray SDK at import again."""
    own = {"Tracer", "Logger", "Metrics"}
    handlers = sorted((ROOT / "functions").glob("*/*.py"))
    assert len(handlers) >= 27
    for path in handlers:
        tree = ast.parse(path.read_text())
        imports = [node for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
        direct = {
            alias.name
            for node in imports
            if (node.module or "").startswith("aws_lambda_powertools")
            for alias in node.names
            if alias.name in own
        }
        assert not direct, f"{path.relative_to(ROOT)} imports {sorted(direct)} from Powertools"
        builds = "tracer = Tracer()" in path.read_text()
        from_observability = any(node.module == "reward_ledger.observability" for node in imports)
        assert not builds or from_observability, path


def _emf(out: str, name: str) -> list[dict[str, Any]]:
    found = []
    for line in out.splitlines():
        if line.startswith("{") and '"_aws"' in line:
            blob = json.loads(line)
            if name in blob:
                found.append(blob)
    return found


def test_a_committed_entry_is_counted_by_kind_once_and_a_replay_is_not(
    ledger_table: str, capsys: pytest.CaptureFixture[str]
) -> None:
    fund("alice", 500, "top-up-1")
    fund("alice", 500, "top-up-1")  # the same event again: a replay, not an entry
    counted = _emf(capsys.readouterr().out, "EntriesCommitted")
    assert len(counted) == 1
    assert counted[0]["EntriesCommitted"] == [1.0]
    assert counted[0]["kind"] == "wallet.funded"
    assert counted[0]["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "RewardLedger"


def test_a_refused_request_is_counted_by_problem_type(
    ledger_table: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status, body, _ = Api("SavingsFunction").call(
        "POST", "/v1/purse/releases", body={"amount": 100}, headers={"Idempotency-Key": "r1"}
    )
    assert status == 422, body
    refusals = _emf(capsys.readouterr().out, "Refusals")
    assert [r["problem"] for r in refusals] == [body["type"]]


def test_budget_spent_sums_a_campaigns_debited_shards_and_ignores_credits_and_other_books() -> None:
    budget = Account("campaign:c7", "budget", "CNY")
    netted = {
        (budget, 1): -30,
        (budget, 2): -20,
        (Account("campaign:c8", "budget", "CNY"), 0): 40,  # a refill, not a burn
        (Account("user:u1", "cash", "CNY"), None): 50,
        (Account("merchant:m1", "prepaid", "CNY"), None): -40,
    }
    assert _budget_spent(netted) == {"c7": 50}

"""Reconciliation over the union of journaled and stored shards, its stored reports, and who may read them."""

from __future__ import annotations

import json

import boto3
import pytest

from infra.apigw import http_api_event
from infra.handlers import invoke
from reward_ledger.ledger import reconcile
from tests.audit.conftest import AuditApi
from tests.conftest import fund
from tests.savings.conftest import SavingsApi


def run_reconcile() -> dict:
    return invoke(
        "ReconcileFunction", {"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}}
    )


def put_balance(table: str, pk: str, balance: int, **extra: dict) -> None:
    item = {"pk": {"S": pk}, "sk": {"S": "BAL"}, "balance": {"N": str(balance)}, **extra}
    boto3.client("dynamodb", region_name="us-east-1").put_item(TableName=table, Item=item)


def test_balances_written_outside_any_entry_are_listed_even_when_they_net_to_zero(
    ledger_table: str,
) -> None:
    fund("alice", 1000, "f-1")
    assert reconcile().ok
    # accounts no entry ever touched: a pair netting to zero (asset totals stay zero), one without the
    # attributes an entry writes, and a key that names no account at all
    put_balance(ledger_table, "BAL#user:mallory/wallet/CNY#0", 700)
    put_balance(ledger_table, "BAL#user:trent/cash/CNY#0", -700)
    put_balance(
        ledger_table,
        "BAL#user:eve/energy/O2#0",
        5,
        account={"S": "user:eve/energy/O2"},
        asset={"S": "O2"},
        shard={"N": "0"},
    )
    put_balance(ledger_table, "BAL#garbage", 1)
    report = reconcile()
    listed = {m["account"]: (m["balance"], m["journal"]) for m in report.mismatches}
    assert listed == {
        "user:mallory/wallet/CNY": (700, 0),
        "user:trent/cash/CNY": (-700, 0),
        "user:eve/energy/O2": (5, 0),
        "BAL#garbage": (1, 0),
    }
    assert report.asset_totals["CNY"] == 0 and report.asset_totals["O2"] == 5
    assert {n["account"] for n in report.negatives} == {"user:trent/cash/CNY"}
    assert not report.ok


def test_each_run_is_stored_and_readable_by_operators(ledger_table: str, audit_api: AuditApi) -> None:
    assert audit_api.reconciliation()[1]["type"] == "not-found"
    fund("alice", 10_000, "f-1")
    SavingsApi().choose("first-date", 1, "flowers", "c1")
    clean = run_reconcile()
    # the two entries above, and the game catalog's seed entry every environment starts with
    assert clean["ok"] and clean["findings"] == 0 and clean["entries"] == 3
    put_balance(ledger_table, "BAL#user:mallory/wallet/CNY#0", 700)
    found = run_reconcile()
    assert not found["ok"] and found["mismatch_count"] == 1
    status, latest, _ = audit_api.reconciliation()
    assert status == 200 and latest == found
    assert latest["mismatches"] == [
        {"account": "user:mallory/wallet/CNY", "shard": 0, "balance": 700, "journal": 0}
    ]
    assert latest["asset_totals"] == {"CNY": 700} and latest["balances"] == 4
    status, first, _ = audit_api.reconciliation(clean["run_id"])
    assert status == 200 and first == clean
    assert audit_api.reconciliation("r20300101T000000000Z-00000000")[0] == 404
    assert audit_api.reconciliation("not-a-run")[1]["type"] == "validation-error"


def test_the_findings_metric_counts_the_mismatches(
    ledger_table: str, capsys: pytest.CaptureFixture[str]
) -> None:
    put_balance(ledger_table, "BAL#user:mallory/wallet/CNY#0", 700)
    put_balance(ledger_table, "BAL#user:trent/wallet/CNY#0", -700)
    run_reconcile()
    out = capsys.readouterr().out
    emitted = [json.loads(line) for line in out.splitlines() if '"_aws"' in line]
    assert [m["ReconcileFindings"] for m in emitted if "ReconcileFindings" in m] == [
        [3.0]
    ]  # 2 mismatches, 1 negative


ROUTES = [
    ("GET", "/v1/admin/entries/eabc", "/v1/admin/entries/{entry_id}", {"entry_id": "eabc"}),
    (
        "POST",
        "/v1/admin/entries/eabc/reversal",
        "/v1/admin/entries/{entry_id}/reversal",
        {"entry_id": "eabc"},
    ),
    (
        "GET",
        "/v1/admin/accounts/system%2Fhold%2FCNY/balance",
        "/v1/admin/accounts/{account}/balance",
        {"account": "system/hold/CNY"},
    ),
    (
        "GET",
        "/v1/admin/accounts/system%2Fhold%2FCNY/history",
        "/v1/admin/accounts/{account}/history",
        {"account": "system/hold/CNY"},
    ),
    ("GET", "/v1/admin/reconciliations/latest", "/v1/admin/reconciliations/latest", None),
    ("GET", "/v1/admin/reconciliations/r1", "/v1/admin/reconciliations/{run_id}", {"run_id": "r1"}),
]


@pytest.mark.parametrize(
    ("method", "path", "route", "params"), ROUTES, ids=[r[2] + " " + r[0] for r in ROUTES]
)
@pytest.mark.parametrize(
    "claims",
    [
        {"sub": "alice"},
        {"sub": "alice", "scope": "openid profile ledger/merchant"},
        {"sub": "a", "scope": "ledger/admins"},
    ],
)
def test_a_user_token_is_refused_on_every_audit_route(
    ledger_table: str, method: str, path: str, route: str, params: dict | None, claims: dict
) -> None:
    event = http_api_event(
        method,
        path,
        route_key=f"{method} {route}",
        path_parameters=params,
        headers={"Idempotency-Key": "k"},
        body={"reason": "x"} if method == "POST" else None,
        claims=claims,
    )
    response = invoke("AuditFunction", event)
    assert response["statusCode"] == 403, response

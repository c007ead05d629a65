"""Reconciliation reports kept in the table, so operators read them (``/v1/admin/reconciliations``).

Each run is one item, ``sk=RUN#<run_id>``, where the id starts with the run's UTC start time: the latest
run is the first item of one descending ``Query``. A report keeps at most ``MAX_STORED_FINDINGS``
mismatches and negatives each (the counts stay whole and ``truncated`` says so), which keeps the item far
below DynamoDB's 400 KB.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime
from typing import Any

from pynamodb.exceptions import DoesNotExist

from reward_ledger import clock
from reward_ledger.errors import NotFound, ValidationFailed
from reward_ledger.ledger.models import ReconcileRun
from reward_ledger.ledger.reconcile import ReconcileReport

MAX_STORED_FINDINGS = 1000
RUN_PK = "RECON"
RUN_ID = re.compile(r"^r\d{8}T\d{9}Z-[0-9a-f]{8}$")


def new_run_id(started: datetime) -> str:
    return (
        "r"
        + clock.iso(started).replace("-", "").replace(":", "").replace(".", "")
        + "-"
        + secrets.token_hex(4)
    )


def store(report: ReconcileReport, started: datetime, finished: datetime) -> dict[str, Any]:
    """Keep ``report`` as one run; returns what operators read back."""
    run_id = new_run_id(started)
    body = report.as_dict()
    truncated = False
    for name in ("mismatches", "negatives"):
        truncated = truncated or len(body[name]) > MAX_STORED_FINDINGS
        body[name] = body[name][:MAX_STORED_FINDINGS]
    body.update(
        run_id=run_id,
        started_at=clock.iso(started),
        finished_at=clock.iso(finished),
        mismatch_count=len(report.mismatches),
        negative_count=len(report.negatives),
        truncated=truncated,
    )
    ReconcileRun(
        pk=RUN_PK,
        sk=f"RUN#{run_id}",
        run_id=run_id,
        started_at=body["started_at"],
        finished_at=body["finished_at"],
        ok="true" if report.ok else "false",
        report=body,
    ).save()
    return body


def latest() -> dict[str, Any]:
    for run in ReconcileRun.query(
        RUN_PK, ReconcileRun.sk.startswith("RUN#"), scan_index_forward=False, limit=1
    ):
        return dict(run.report)
    raise NotFound("no reconciliation has run yet")


def by_id(run_id: str) -> dict[str, Any]:
    if not RUN_ID.match(run_id):
        raise ValidationFailed(f"{run_id!r} is not a reconciliation run id")
    try:
        return dict(ReconcileRun.get(RUN_PK, f"RUN#{run_id}").report)
    except DoesNotExist as exc:
        raise NotFound(f"no reconciliation run {run_id}") from exc

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

from pydantic import Field
from pynamodb.exceptions import DoesNotExist

from reward_ledger import clock
from reward_ledger.errors import NotFound, ValidationFailed
from reward_ledger.ledger.models import ReconcileRun
from reward_ledger.ledger.reconcile import ReconcileReport
from reward_ledger.replies import Reply

MAX_STORED_FINDINGS = 1000
RUN_PK = "RECON"
RUN_ID = re.compile(r"^r\d{8}T\d{9}Z-[0-9a-f]{8}$")


class Mismatch(Reply):
    account: str = Field(examples=["system/budget/CNY"])
    shard: int = Field(description="the balance shard")
    balance: int = Field(description="minor units stored on the shard")
    journal: int = Field(description="minor units the journal's postings sum to")


class Negative(Reply):
    account: str = Field(examples=["alice/wallet/CNY"])
    balance: int = Field(description="minor units below zero on an account that may not go there")


class ReconciliationRun(Reply):
    """One stored reconciliation report: ok when every asset sums to zero and every shard matches."""

    run_id: str = Field(examples=["r20261201T020000000Z-1a2b3c4d"])
    started_at: str = Field(description="ISO-8601 UTC")
    finished_at: str = Field(description="ISO-8601 UTC")
    ok: bool
    findings: int = Field(description="mismatches + negatives + assets whose total is not zero")
    asset_totals: dict[str, int] = Field(description="per asset, the sum of every balance (0 when ok)")
    mismatches: list[Mismatch] = Field(description=f"at most {MAX_STORED_FINDINGS} kept")
    negatives: list[Negative] = Field(description=f"at most {MAX_STORED_FINDINGS} kept")
    mismatch_count: int
    negative_count: int
    truncated: bool = Field(description="true when findings were cut to the stored maximum")
    entries: int = Field(description="entries read")
    balances: int = Field(description="balance shards read")


def new_run_id(started: datetime) -> str:
    return (
        "r"
        + clock.iso(started).replace("-", "").replace(":", "").replace(".", "")
        + "-"
        + secrets.token_hex(4)
    )


def store(report: ReconcileReport, started: datetime, finished: datetime) -> ReconciliationRun:
    """Keep ``report`` as one run; returns what operators read back (checked against the model first, so
    a stored report is always one the routes can answer)."""
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
    run = ReconciliationRun.model_validate(body)
    ReconcileRun(
        pk=RUN_PK,
        sk=f"RUN#{run_id}",
        run_id=run_id,
        started_at=body["started_at"],
        finished_at=body["finished_at"],
        ok="true" if report.ok else "false",
        report=run.model_dump(mode="json"),
    ).save()
    return run


def latest() -> ReconciliationRun:
    for run in ReconcileRun.query(
        RUN_PK, ReconcileRun.sk.startswith("RUN#"), scan_index_forward=False, limit=1
    ):
        return ReconciliationRun.model_validate(run.report)
    raise NotFound("no reconciliation has run yet")


def by_id(run_id: str) -> ReconciliationRun:
    if not RUN_ID.match(run_id):
        raise ValidationFailed(f"{run_id!r} is not a reconciliation run id")
    try:
        return ReconciliationRun.model_validate(ReconcileRun.get(RUN_PK, f"RUN#{run_id}").report)
    except DoesNotExist as exc:
        raise NotFound(f"no reconciliation run {run_id}") from exc

"""Scheduled reconciliation: stores the run's report for operators (``GET /v1/admin/reconciliations``),
publishes the number of findings (``ReconcileMismatchAlarm`` fires on any) and logs them by account."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from reward_ledger import clock
from reward_ledger.ledger import reconcile, reconcile_runs
from reward_ledger.observability import Logger, Metrics, MetricUnit, Tracer

logger = Logger()
metrics = Metrics()
tracer = Tracer()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    started = clock.now()
    report = reconcile()
    stored = reconcile_runs.store(report, started, clock.now()).model_dump(mode="json")
    metrics.add_metric("ReconcileFindings", MetricUnit.Count, report.findings)
    if report.findings:
        logger.error("reconciliation found discrepancies", extra=stored)
    else:
        logger.info(
            "books balance",
            extra={"run_id": stored["run_id"], "entries": report.entries, "balances": report.balances},
        )
    return stored

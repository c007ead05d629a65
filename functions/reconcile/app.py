"""Scheduled reconciliation: publishes the number of findings (alarmed on) and logs them by account."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from reward_ledger.ledger import reconcile

logger = Logger()
metrics = Metrics()
tracer = Tracer()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    report = reconcile()
    findings = (
        len(report.mismatches) + len(report.negatives) + sum(1 for t in report.asset_totals.values() if t)
    )
    metrics.add_metric("ReconcileFindings", MetricUnit.Count, findings)
    if findings:
        logger.error("reconciliation found discrepancies", extra=report.as_dict())
    else:
        logger.info("books balance", extra={"entries": report.entries, "balances": report.balances})
    return report.as_dict()

"""Scheduled: issue every configured coupon stock batch that was not issued yet (idempotent by batch)."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from reward_ledger.coupons import issue_configured_stock
from reward_ledger.observability import Logger, Metrics, MetricUnit, Tracer
from reward_ledger.runtime import ledger

logger = Logger()
metrics = Metrics()
tracer = Tracer()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    issued = issue_configured_stock(ledger())
    metrics.add_metric(name="CouponUnitsIssued", unit=MetricUnit.Count, value=sum(issued.values()))
    logger.info("coupon stock issued", extra={"issued": issued})
    return {"issued": issued}

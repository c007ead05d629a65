"""payment.completed consumer (EventBridge): oxygen lot and feed by category, once per payment_id."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from reward_ledger.edge.events import parse_detail
from reward_ledger.observability import Logger, Metrics, MetricUnit, Tracer
from reward_ledger.payments import PaymentCompleted, grant
from reward_ledger.runtime import ledger

logger = Logger()
metrics = Metrics()
tracer = Tracer()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    _, detail = parse_detail(event, PaymentCompleted)
    logger.append_keys(payment_id=detail.payment_id, category=detail.category)
    result = grant(ledger(), detail)
    if result is None:
        metrics.add_metric(name="PaymentsWithoutGrant", unit=MetricUnit.Count, value=1)
        logger.info("category grants nothing")
        return {"granted": False}
    if result.replayed:
        metrics.add_metric(name="DuplicateEvents", unit=MetricUnit.Count, value=1)
    else:
        response = result.response or {}
        metrics.add_metric(name="OxygenGranted", unit=MetricUnit.Count, value=int(response.get("oxygen", 0)))
        metrics.add_metric(name="FeedGranted", unit=MetricUnit.Count, value=int(response.get("feed", 0)))
    logger.info("payment rewards granted", extra={"entry_id": result.entry_id, "replayed": result.replayed})
    return {"granted": True, "replayed": result.replayed, **(result.response or {})}

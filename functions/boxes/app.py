"""payment.completed consumer (EventBridge): grant a treasure box for a qualifying payment, once per payment.

Separate from the oxygen/feed consumer of the same event: its own rule, DLQ and idempotency scope.
"""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from reward_ledger.edge.events import parse_detail
from reward_ledger.observability import Logger, Metrics, MetricUnit, Tracer
from reward_ledger.runtime import ledger
from reward_ledger.seeds import PaymentCompleted, grant_box

logger = Logger()
metrics = Metrics()
tracer = Tracer()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    _, detail = parse_detail(event, PaymentCompleted)
    logger.append_keys(payment_id=detail.payment_id)
    result = grant_box(ledger(), detail)
    if result is None:
        metrics.add_metric(name="PaymentsWithoutBox", unit=MetricUnit.Count, value=1)
        return {"granted": False}
    if result.replayed:
        metrics.add_metric(name="DuplicateEvents", unit=MetricUnit.Count, value=1)
    else:
        metrics.add_metric(name="BoxesGranted", unit=MetricUnit.Count, value=1)
    box_id = str((result.response or {}).get("box_id"))
    logger.info("box granted", extra={"box_id": box_id, "replayed": result.replayed})
    return {"granted": True, "box_id": box_id, "entry_id": result.entry_id, "replayed": result.replayed}

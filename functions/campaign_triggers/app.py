"""Campaign triggers (EventBridge): a payment at a merchant, a credited game result, a savings choice, a
completed challenge. Each matching active campaign pays at most one award for the event.

A refused award (empty budget, a limit reached) is an outcome in the log and metrics, never a failure:
the event is not retried for it. A malformed event fails (retried, then the DLQ).
"""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from reward_ledger.campaigns.awards import evaluate
from reward_ledger.campaigns.triggers import EVENT_MODELS, facts_of
from reward_ledger.edge.events import parse_detail
from reward_ledger.errors import ValidationFailed
from reward_ledger.observability import Logger, Metrics, MetricUnit, Tracer
from reward_ledger.runtime import ledger

logger = Logger()
metrics = Metrics()
tracer = Tracer()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    model = EVENT_MODELS.get(str(event.get("detail-type")))
    if model is None:
        raise ValidationFailed(f"invalid event: no campaign trigger {event.get('detail-type')!r}")
    envelope, detail = parse_detail(event, model)
    outcomes = evaluate(ledger(), facts_of(envelope.detail_type, detail))
    for outcome in outcomes:
        if outcome["status"] == "awarded" and not outcome.get("replayed"):
            metrics.add_metric("CampaignAwards", MetricUnit.Count, 1)
        elif outcome["status"] == "skipped":
            metrics.add_metric("CampaignAwardsSkipped", MetricUnit.Count, 1)
    logger.info("trigger evaluated", extra={"detail_type": envelope.detail_type, "outcomes": outcomes})
    return {"outcomes": outcomes}

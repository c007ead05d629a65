"""Scheduled reminder finder: the declared finders schedule what is about to happen, then due reminders
are delivered (marked sent; the table's stream publishes them as ``reminder.due``)."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from reward_ledger.observability import Logger, Metrics, MetricUnit, Tracer
from reward_ledger.wiring import PRODUCT

logger = Logger()
metrics = Metrics()
tracer = Tracer()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    report = PRODUCT.find_reminders()
    for outcome, count in report.delivery.outcomes.items():
        metrics.add_metric(name=f"Reminders{outcome.capitalize()}", unit=MetricUnit.Count, value=count)
    result = {
        "scheduled": report.scheduled,
        "examined": report.delivery.examined,
        "outcomes": report.delivery.outcomes,
    }
    logger.info("reminders delivered", extra=result)
    return result

"""Expiry worker (SQS): sweeps one expiry shard per message; failed messages are retried alone.

A job reads a bounded number of pages (``max_pages_per_job``) so it stays inside the function's timeout;
when pages are left it enqueues its continuation on the same queue at once.

The sweeper comes from the product's wiring (``reward_ledger.runtime.sweeper``): every expirer (oxygen
lots, egg batches, pending holds) and, through its ledger, every resolution hook a timeout needs. Each
expiry is a journaled, idempotent ledger movement, so a retried or duplicated message never expires
anything twice.
"""

import os
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from reward_ledger import aws, clock, sweep
from reward_ledger.observability import Logger, Metrics, MetricUnit, Tracer
from reward_ledger.runtime import sweeper

logger = Logger()
metrics = Metrics()
tracer = Tracer()
processor = BatchProcessor(event_type=EventType.SQS)


@tracer.capture_method
def record_handler(record: SQSRecord) -> dict[str, Any]:
    job = sweep.SweepJob.parse(record.body)
    report = sweeper().sweep_bucket(job)
    if report.resume is not None:
        sweep.enqueue(aws.client("sqs"), os.environ["EXPIRY_QUEUE_URL"], [report.resume])
    metrics.add_metric(name="ExpiredItems", unit=MetricUnit.Count, value=report.expired)
    metrics.add_metric(name="SweepLagSeconds", unit=MetricUnit.Seconds, value=report.lag_seconds(clock.now()))
    if report.unknown:
        metrics.add_metric(name="UnknownExpiryKinds", unit=MetricUnit.Count, value=report.unknown)
        logger.error("items of unknown exp_kind left in place", extra={"job": job.body(), **report.as_dict()})
    logger.info("shard swept", extra={"job": job.body(), **report.as_dict()})
    return report.as_dict()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    response: dict[str, Any] = process_partial_response(  # type: ignore[assignment]
        event=event, record_handler=record_handler, processor=processor, context=context
    )
    return response

"""Scheduled expiry fan-out: one SQS job per expiry shard; each job finds everything of its shard that is
due, however long ago (no look-back window), so a sweep stopped for days catches up on its next run."""

import os
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from reward_ledger import aws
from reward_ledger.observability import Logger, Metrics, MetricUnit, Tracer
from reward_ledger.sweep import enqueue, jobs_for

logger = Logger()
metrics = Metrics()
tracer = Tracer()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    jobs = jobs_for()
    sent = enqueue(aws.client("sqs"), os.environ["EXPIRY_QUEUE_URL"], jobs)
    metrics.add_metric(name="ExpiryJobsEnqueued", unit=MetricUnit.Count, value=sent)
    logger.info("expiry jobs enqueued", extra={"jobs": sent})
    return {"jobs": sent}

"""Publisher: the ledger table's DynamoDB stream -> EventBridge (``ledger.entry.committed``, ``reminder.due``).

Lambda hands over stream batches in order; the batch's events go out ten per ``PutEvents`` call, and a
record whose event EventBridge refused is reported as a batch item failure (``ReportBatchItemFailures``):
Lambda retries the batch from that record, so events after it may go out twice, never zero times.
Consumers drop repeats by the detail's id (the entry id or the reminder id): at least once, deduped by id.
"""

import os
from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from reward_ledger import aws
from reward_ledger.observability import Logger, Metrics, MetricUnit, Tracer
from reward_ledger.outbound.stream import publish_records

logger = Logger()
metrics = Metrics()
tracer = Tracer()
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


class PublishRefused(Exception):
    """EventBridge refused this record's event: the stream retries from here."""


@cache
def events_client() -> Any:
    return aws.client("events")


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    records = event.get("Records", [])
    refused = publish_records(events_client(), os.environ["EVENT_BUS_NAME"], records)
    metrics.add_metric(name="StreamRecords", unit=MetricUnit.Count, value=len(records))
    if refused:
        metrics.add_metric(name="PublishRefused", unit=MetricUnit.Count, value=len(refused))

    def record_handler(record: DynamoDBRecord) -> None:
        if record.dynamodb is not None and record.dynamodb.sequence_number in refused:
            raise PublishRefused(f"record {record.dynamodb.sequence_number} was not published")

    response = process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
    return dict(response)

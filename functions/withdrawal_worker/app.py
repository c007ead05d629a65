"""Withdrawal worker (SQS): risk check, then post or void each pending withdrawal exactly once.

Powertools batch processing reports partial batch failures: only failed records return to the queue;
after the queue's maxReceiveCount they move to the DLQ (alarmed). Redelivered records are harmless:
``Ledger.resolve`` replays instead of paying twice.
"""

import json
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from reward_ledger.games import process_withdrawal
from reward_ledger.observability import Logger, Metrics, MetricUnit, Tracer
from reward_ledger.runtime import ledger

logger = Logger()
metrics = Metrics()
tracer = Tracer()
processor = BatchProcessor(event_type=EventType.SQS)


@tracer.capture_method
def record_handler(record: SQSRecord) -> str:
    withdrawal_id = json.loads(record.body)["withdrawal_id"]
    if not isinstance(withdrawal_id, str):
        raise ValueError("withdrawal_id must be a string")
    outcome = process_withdrawal(ledger(), withdrawal_id)
    metrics.add_metric(f"Withdrawals_{outcome}", MetricUnit.Count, 1)
    logger.info("withdrawal processed", extra={"withdrawal_id": withdrawal_id, "outcome": outcome})
    return outcome


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    response = process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
    return dict(response)

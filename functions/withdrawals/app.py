"""POST /v1/withdrawals (202, pending) and GET /v1/withdrawals/{withdrawal_id} (owner only).

The request is one ``TransactWriteItems`` (the pending entry); the handler then sends the withdrawal id
to the worker queue. A replay of the request sends it again (the worker is idempotent), so a client
retry heals a lost send; a message never sent at all is voided by the hold timeout.
"""

import json
import os
from functools import cache
from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import Field

from reward_ledger import aws
from reward_ledger.cap_zones import cap_zone
from reward_ledger.config import StrictModel
from reward_ledger.edge.http import (
    caller_id,
    entry_response,
    idempotency_key,
    json_response,
    make_resolver,
    user_zone,
)
from reward_ledger.edge.openapi import IdempotencyKeyHeader, Reply, WholeInt, link, responses
from reward_ledger.errors import RetriesExhausted
from reward_ledger.games import request_withdrawal, withdrawal_status
from reward_ledger.games.withdrawals import Withdrawal
from reward_ledger.observability import Logger, Metrics, MetricUnit, Tracer, correlation_paths
from reward_ledger.runtime import ledger

logger = Logger()
metrics = Metrics()
tracer = Tracer()
app = make_resolver()


class WithdrawalRequest(StrictModel):
    amount: WholeInt = Field(gt=0, le=10**9, description="fen of game cash to withdraw", examples=[500])


class WithdrawalAccepted(Reply):
    """Accepted: the amount is held until the worker pays it (or returns it)."""

    withdrawal_id: str
    status: Literal["pending"]


@cache
def _sqs(region: str | None) -> Any:
    return aws.client("sqs", region)


def enqueue(withdrawal_id: str) -> None:
    queue_url = os.environ.get("WITHDRAWAL_QUEUE_URL")
    if not queue_url:
        logger.warning("no WITHDRAWAL_QUEUE_URL: the hold timeout will void", extra={"id": withdrawal_id})
        return
    _sqs(os.environ.get("AWS_REGION")).send_message(
        QueueUrl=queue_url, MessageBody=json.dumps({"withdrawal_id": withdrawal_id})
    )


@app.post(
    "/v1/withdrawals",
    summary="Withdraw game cash to the wallet (pending until the worker pays)",
    responses=responses(
        WithdrawalAccepted,
        202,
        problems=[422],
        links={
            "getWithdrawal": link(
                "get_withdrawal_v1_withdrawals__withdrawal_id__get",
                withdrawal_id="$response.body#/withdrawal_id",
            )
        },
    ),
)
@tracer.capture_method
def post_withdrawal(body: Annotated[WithdrawalRequest, Body()], key: IdempotencyKeyHeader) -> Response[str]:
    user = caller_id(app)
    idem = idempotency_key(app, body.model_dump())
    result = request_withdrawal(ledger(), user, body.amount, idem, tz=cap_zone(user, user_zone(app)))
    current = withdrawal_status(ledger(), user, result.entry_id) if result.replayed else None
    if current is None or current.status == "pending":
        try:
            enqueue(result.entry_id)
        except Exception as exc:  # the hold is written; a retry with the same key replays and re-sends
            logger.exception("withdrawal not enqueued", extra={"withdrawal_id": result.entry_id})
            metrics.add_metric("WithdrawalEnqueueFailures", MetricUnit.Count, 1)
            raise RetriesExhausted(
                "the withdrawal is recorded but not yet queued; retry with the same Idempotency-Key"
            ) from exc
    if not result.replayed:
        metrics.add_metric("WithdrawalsRequested", MetricUnit.Count, 1)
    return entry_response(result, WithdrawalAccepted)


@app.get(
    "/v1/withdrawals/<withdrawal_id>",
    summary="A withdrawal of the caller",
    responses=responses(Withdrawal, problems=[404]),
)
@tracer.capture_method
def get_withdrawal(withdrawal_id: Annotated[str, Path(max_length=64)]) -> Response[str]:
    user = caller_id(app)
    return json_response(200, withdrawal_status(ledger(), user, withdrawal_id))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)

"""Treasure boxes and seeds: open a box (verifiable draw), donate seeds, list boxes, draw transparency."""

from typing import Annotated, Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict, Field, StrictInt

from reward_ledger.edge.http import caller_id, entry_response, idempotency_key, json_response, make_resolver
from reward_ledger.runtime import ledger
from reward_ledger.seeds import (
    EPOCH_PATTERN,
    ID_PATTERN,
    boxes_view,
    donate_seeds,
    epoch_view,
    open_box,
    prize_table,
    settings,
)

logger = Logger()
metrics = Metrics()
tracer = Tracer()
app = make_resolver()

BoxId = Annotated[str, Path(pattern=ID_PATTERN)]


class OpenBody(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DonationBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    project_id: str = Field(pattern=ID_PATTERN)
    seeds: StrictInt = Field(gt=0, le=10**9, description="seeds given to the project's pool")


@app.post("/v1/seeds/boxes/<box_id>/open", summary="Open a treasure box: a verifiable draw of seeds")
@tracer.capture_method
def post_open(box_id: BoxId, body: OpenBody) -> Response[str]:
    user = caller_id(app)
    result = open_box(ledger(), user, box_id, idempotency_key(app, body.model_dump()))
    if not result.replayed:
        metrics.add_metric(name="BoxesOpened", unit=MetricUnit.Count, value=1)
        metrics.add_metric(
            name="SeedsDrawn", unit=MetricUnit.Count, value=int((result.response or {}).get("seeds", 0))
        )
    logger.info("box opened", extra={"entry_id": result.entry_id, "replayed": result.replayed})
    return entry_response(result)


@app.post("/v1/seeds/donations", summary="Donate seeds to a pooled charity project")
@tracer.capture_method
def post_donation(body: DonationBody) -> Response[str]:
    user = caller_id(app)
    idem = idempotency_key(app, body.model_dump())
    result = donate_seeds(ledger(), user, body.project_id, body.seeds, idem)
    if not result.replayed:
        metrics.add_metric(name="SeedsDonated", unit=MetricUnit.Count, value=body.seeds)
    logger.info("seeds donated", extra={"entry_id": result.entry_id, "replayed": result.replayed})
    return entry_response(result)


@app.get("/v1/seeds/boxes", summary="The caller's treasure boxes")
@tracer.capture_method
def get_boxes() -> Response[str]:
    return json_response(200, {"boxes": boxes_view(caller_id(app))})


@app.get("/v1/seeds/prize-tables", summary="The published prize tables (active first)")
@tracer.capture_method
def get_prize_tables() -> Response[str]:
    caller_id(app)
    draw = settings().draw
    active = prize_table()
    tables = [active, *(t for t in draw.tables if t.version != active.version)]
    return json_response(
        200,
        {
            "active_table": active.version,
            "tables": [{**t.model_dump(), "total_weight": t.total_weight} for t in tables],
        },
    )


@app.get("/v1/seeds/epochs/<epoch>", summary="A draw epoch's commitment, and its secret once it is over")
@tracer.capture_method
def get_epoch(epoch: Annotated[str, Path(pattern=EPOCH_PATTERN)]) -> Response[str]:
    caller_id(app)
    return json_response(200, epoch_view(epoch))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)

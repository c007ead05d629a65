"""Treasure boxes and seeds: open a box (verifiable draw), donate seeds, list boxes, draw transparency."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import Field

from reward_ledger import charity, seeds
from reward_ledger.config import StrictModel
from reward_ledger.edge.http import caller_id, entry_response, idempotency_key, json_response, make_resolver
from reward_ledger.edge.openapi import EntryReply, IdempotencyKeyHeader, Reply, WholeInt, one_of, responses
from reward_ledger.observability import Logger, Metrics, MetricUnit, Tracer, correlation_paths
from reward_ledger.runtime import ledger
from reward_ledger.seeds import (
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

EPOCH_DAY = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
BoxId = Annotated[str, Path(pattern=ID_PATTERN)]


class OpenBody(StrictModel):
    pass


class SeedDonationBody(StrictModel):
    project_id: str = Field(
        pattern=ID_PATTERN,
        description="a charity project that collects seeds",
        json_schema_extra=one_of(charity.project_ids("SEED")),
    )
    seeds: WholeInt = Field(gt=0, le=10**9, description="seeds given to the project's pool", examples=[10])


class DrawProof(Reply):
    """Everything needed to recompute the draw once the epoch's secret is revealed."""

    algorithm: str
    box_id: str
    epoch: str = Field(description="UTC day YYYY-MM-DD of the draw")
    commitment: str = Field(description="hex SHA-256 of the epoch's secret, published in advance")
    table_version: str
    total_weight: int
    hmac: str = Field(description="hex HMAC-SHA256(epoch secret, box_id)")
    roll: int
    row: int = Field(description="0-based row of the prize table the roll fell in")


class BoxOpened(Reply):
    """The box's seeds moved to the caller's seeds book."""

    box_id: str
    seeds: int = Field(description="seeds drawn (counts)", examples=[12])
    proof: DrawProof


class Boxes(Reply):
    """The caller's treasure boxes."""

    boxes: list[seeds.Box]


class PrizeRowView(Reply):
    seeds: int = Field(description="seeds this row pays")
    weight: int = Field(description="relative chance of this row")


class PrizeTableView(Reply):
    version: str
    rows: list[PrizeRowView]
    total_weight: int


class PrizeTables(Reply):
    """The published prize tables, the active one first."""

    active_table: str = Field(description="version of the table draws use now")
    tables: list[PrizeTableView]


@app.post(
    "/v1/seeds/boxes/<box_id>/open",
    summary="Open a treasure box: a verifiable draw of seeds",
    responses=responses(BoxOpened, 201, problems=[404]),
)
@tracer.capture_method
def post_open(box_id: BoxId, body: OpenBody, key: IdempotencyKeyHeader) -> Response[str]:
    user = caller_id(app)
    result = open_box(ledger(), user, box_id, idempotency_key(app, body.model_dump()))
    if not result.replayed:
        metrics.add_metric(name="BoxesOpened", unit=MetricUnit.Count, value=1)
        metrics.add_metric(
            name="SeedsDrawn", unit=MetricUnit.Count, value=int((result.response or {}).get("seeds", 0))
        )
    logger.info("box opened", extra={"entry_id": result.entry_id, "replayed": result.replayed})
    return entry_response(result, BoxOpened)


@app.post(
    "/v1/seeds/donations",
    summary="Donate seeds to a pooled charity project",
    responses=responses(EntryReply, 201, problems=[404, 422], description="The seeds moved to the project"),
)
@tracer.capture_method
def post_donation(body: SeedDonationBody, key: IdempotencyKeyHeader) -> Response[str]:
    user = caller_id(app)
    idem = idempotency_key(app, body.model_dump())
    result = donate_seeds(ledger(), user, body.project_id, body.seeds, idem)
    if not result.replayed:
        metrics.add_metric(name="SeedsDonated", unit=MetricUnit.Count, value=body.seeds)
    logger.info("seeds donated", extra={"entry_id": result.entry_id, "replayed": result.replayed})
    return entry_response(result, EntryReply)


@app.get("/v1/seeds/boxes", summary="The caller's treasure boxes", responses=responses(Boxes))
@tracer.capture_method
def get_boxes() -> Response[str]:
    return json_response(200, Boxes(boxes=boxes_view(caller_id(app))))


@app.get(
    "/v1/seeds/prize-tables",
    summary="The published prize tables (active first)",
    responses=responses(PrizeTables),
)
@tracer.capture_method
def get_prize_tables() -> Response[str]:
    caller_id(app)
    draw = settings().draw
    active = prize_table()
    tables = [active, *(t for t in draw.tables if t.version != active.version)]
    views = [
        PrizeTableView.model_validate({**t.model_dump(), "total_weight": t.total_weight}) for t in tables
    ]
    return json_response(200, PrizeTables(active_table=active.version, tables=views))


@app.get(
    "/v1/seeds/epochs/<epoch>",
    summary="A draw epoch's commitment, and its secret once it is over",
    responses=responses(seeds.Epoch),
)
@tracer.capture_method
def get_epoch(
    epoch: Annotated[
        str, Path(pattern=EPOCH_DAY, description="UTC day YYYY-MM-DD", json_schema_extra={"format": "date"})
    ],
) -> Response[str]:
    caller_id(app)
    return json_response(200, epoch_view(epoch))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)

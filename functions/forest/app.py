"""Forest: the caller's lots, trees and energy; collect, steal from and water friends, plant trees."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import Field

from reward_ledger import forest
from reward_ledger.config import StrictModel
from reward_ledger.edge.http import (
    caller_id,
    entry_response,
    idempotency_key,
    json_response,
    make_resolver,
    user_zone,
)
from reward_ledger.edge.identity import path_user_id
from reward_ledger.edge.openapi import EntryReply, IdempotencyKeyHeader, Reply, WholeInt, one_of, responses
from reward_ledger.forest.config import MAX_LOTS_PER_COLLECT
from reward_ledger.friends import check_friend_id, require_friends
from reward_ledger.observability import Logger, Metrics, MetricUnit, Tracer, correlation_paths
from reward_ledger.runtime import ledger

logger = Logger()
metrics = Metrics()
tracer = Tracer()
app = make_resolver()

FriendId = Annotated[str, Path(min_length=1, max_length=255, description="the friend's user id (any IdP id)")]
LOT_ID_PATTERN = r"^[0-9]{8}T[0-9]{6}Z-[a-z2-7]{16}-[0-9]{1,9}-[0-9]{1,3}$"


class CollectBody(StrictModel):
    lot_ids: list[Annotated[str, Field(pattern=LOT_ID_PATTERN)]] | None = Field(
        default=None,
        max_length=MAX_LOTS_PER_COLLECT,
        description="the ripe lots listed by GET /v1/forest: collected in one transaction; omitted, every ripe lot",
    )


class StealBody(StrictModel):
    lot_id: str = Field(pattern=LOT_ID_PATTERN, description="a ripe lot of the friend's (GET its forest)")


class WaterBody(StrictModel):
    amount: WholeInt = Field(gt=0, le=10**9, description="grams of the caller's energy given to the friend")


class TreeBody(StrictModel):
    species: str = Field(
        min_length=1,
        max_length=64,
        description="a species of the tree catalog",
        json_schema_extra=one_of(forest.catalog()),
    )


class Collected(EntryReply):
    """Every ripe own lot moved into energy."""

    collected: int = Field(description="grams collected", examples=[240])
    lots: int = Field(description="lots collected", examples=[2])


class Stolen(EntryReply):
    """A share of the friend's lot moved into the caller's energy."""

    stolen: int = Field(description="grams taken", examples=[24])
    lot_id: str


class Watered(EntryReply):
    """The amount moved from the caller's energy to the friend's."""

    amount: int = Field(description="grams given", examples=[10])


class Planted(Reply):
    """The tree's cost moved from energy; the certificate is the caller's."""

    certificate_id: str
    cost: int = Field(description="grams of energy spent", examples=[17900])
    species: str


def _count(name: str, replayed: bool, value: int = 1) -> None:
    metrics.add_metric(name=f"{name}Replays" if replayed else name, unit=MetricUnit.Count, value=value)


@app.get(
    "/v1/forest",
    summary="The caller's energy, trees and open oxygen lots",
    responses=responses(forest.Forest),
)
@tracer.capture_method
def get_forest() -> Response[str]:
    return json_response(200, forest.forest_view(ledger(), caller_id(app), user_zone(app)))


@app.get(
    "/v1/forest/friends/<friend_id>",
    summary="A mutual friend's open lots (what may be taken)",
    responses=responses(forest.FriendForest, problems=[403]),
)
@tracer.capture_method
def get_friend_forest(friend_id: FriendId) -> Response[str]:
    user = caller_id(app)
    friend_id = path_user_id(friend_id)
    require_friends(user, friend_id)
    return json_response(200, forest.friend_lots(user, friend_id))


@app.post(
    "/v1/forest/collect",
    summary="Collect the listed ripe lots, or every ripe own lot, into energy",
    responses=responses(Collected, 201, problems=[404]),
)
@tracer.capture_method
def post_collect(body: CollectBody, key: IdempotencyKeyHeader) -> Response[str]:
    user = caller_id(app)
    idem = idempotency_key(app, body.model_dump(exclude_none=True))
    result = forest.collect(ledger(), user, idem, user_zone(app), body.lot_ids)
    _count("OxygenCollected", result.replayed, int((result.response or {}).get("collected", 0)))
    return entry_response(result, Collected)


@app.post(
    "/v1/forest/friends/<friend_id>/steal",
    summary="Take a share of a friend's ripe lot (once per lot)",
    responses=responses(Stolen, 201, problems=[403, 404, 422]),
)
@tracer.capture_method
def post_steal(friend_id: FriendId, body: StealBody, key: IdempotencyKeyHeader) -> Response[str]:
    user = caller_id(app)
    friend_id = path_user_id(friend_id)
    check_friend_id(user, friend_id)
    result = forest.steal(ledger(), user, friend_id, body.lot_id, idempotency_key(app, body.model_dump()))
    _count("OxygenStolen", result.replayed, int((result.response or {}).get("stolen", 0)))
    return entry_response(result, Stolen)


@app.post(
    "/v1/forest/friends/<friend_id>/water",
    summary="Give a friend some of your energy",
    responses=responses(Watered, 201, problems=[403, 422]),
)
@tracer.capture_method
def post_water(friend_id: FriendId, body: WaterBody, key: IdempotencyKeyHeader) -> Response[str]:
    user = caller_id(app)
    friend_id = path_user_id(friend_id)
    check_friend_id(user, friend_id)
    result = forest.water(ledger(), user, friend_id, body.amount, idempotency_key(app, body.model_dump()))
    _count("Waterings", result.replayed)
    return entry_response(result, Watered)


@app.post(
    "/v1/forest/trees",
    summary="Plant a tree of a species from the catalog with your energy",
    responses=responses(Planted, 201, problems=[404, 422]),
)
@tracer.capture_method
def post_tree(body: TreeBody, key: IdempotencyKeyHeader) -> Response[str]:
    user = caller_id(app)
    result = forest.plant(ledger(), user, body.species, idempotency_key(app, body.model_dump()))
    _count("TreesPlanted", result.replayed)
    return entry_response(result, Planted)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)

"""Farm: the chicken (computed lazily from meal times), feeding it or a friend's, donating eggs."""

from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import Field

from reward_ledger import charity, farm
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
from reward_ledger.friends import check_friend_id, require_friends
from reward_ledger.observability import Logger, Metrics, MetricUnit, Tracer, correlation_paths
from reward_ledger.reminders.nudges import nudge
from reward_ledger.runtime import ledger

logger = Logger()
metrics = Metrics()
tracer = Tracer()
app = make_resolver()

FriendId = Annotated[str, Path(min_length=1, max_length=255, description="the friend's user id (any IdP id)")]


class EmptyBody(StrictModel):
    pass


class EggDonationBody(StrictModel):
    project_id: str = Field(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9_.-]+$",
        description="a charity project that collects eggs",
        json_schema_extra=one_of(charity.project_ids("EGG")),
    )
    eggs: WholeInt = Field(gt=0, le=10**6, description="eggs given (counts)", examples=[1])


class Fed(EntryReply):
    """A meal started: its feed moved from the feeder's feed."""

    eating_until: str = Field(description="ISO-8601 UTC end of the meal")
    feed: int = Field(description="grams of feed the meal took", examples=[180])


class Nudged(Reply):
    """The friend gets a ``friend-nudge`` reminder (once per friend per your local day)."""

    nudged: Literal[True]
    friend_id: str = Field(examples=["bob"])
    reminder_id: str = Field(description="id of the reminder scheduled for the friend")


def _count(name: str, replayed: bool, value: int = 1) -> None:
    metrics.add_metric(name=f"{name}Replays" if replayed else name, unit=MetricUnit.Count, value=value)


@app.get("/v1/farm", summary="Feed, eggs and the chicken's state", responses=responses(farm.FarmView))
@tracer.capture_method
def get_farm() -> Response[str]:
    return json_response(200, farm.farm_view(ledger(), caller_id(app)))


@app.post(
    "/v1/farm/feed",
    summary="Feed your chicken one meal from your feed",
    responses=responses(Fed, 201, problems=[422]),
)
@tracer.capture_method
def post_feed(body: EmptyBody, key: IdempotencyKeyHeader) -> Response[str]:
    user = caller_id(app)
    result = farm.feed(ledger(), user, user, idempotency_key(app, body.model_dump()))
    _count("Meals", result.replayed)
    return entry_response(result, Fed)


@app.post(
    "/v1/farm/friends/<friend_id>/feed",
    summary="Feed a friend's chicken one meal from your feed",
    responses=responses(Fed, 201, problems=[403, 422]),
)
@tracer.capture_method
def post_friend_feed(friend_id: FriendId, body: EmptyBody, key: IdempotencyKeyHeader) -> Response[str]:
    user = caller_id(app)
    friend_id = path_user_id(friend_id)
    check_friend_id(user, friend_id)
    result = farm.feed(ledger(), user, friend_id, idempotency_key(app, body.model_dump()))
    _count("FriendMeals", result.replayed)
    return entry_response(result, Fed)


@app.post(
    "/v1/farm/donations",
    summary="Donate eggs to a charity project",
    responses=responses(EntryReply, 201, problems=[404, 422], description="The eggs moved to the project"),
)
@tracer.capture_method
def post_donation(body: EggDonationBody, key: IdempotencyKeyHeader) -> Response[str]:
    user = caller_id(app)
    result = farm.donate(ledger(), user, body.project_id, body.eggs, idempotency_key(app, body.model_dump()))
    _count("EggsDonated", result.replayed, body.eggs)
    return entry_response(result, EntryReply)


@app.get(
    "/v1/farm/friends/<friend_id>",
    summary="A friend's chicken (mutual friends only)",
    responses=responses(farm.FriendChicken, problems=[403]),
)
@tracer.capture_method
def get_friend_chicken(friend_id: FriendId) -> Response[str]:
    user = caller_id(app)
    friend = path_user_id(friend_id)
    require_friends(user, friend)
    # the ledger holds the encoded id; the answer names the friend as the path did
    return json_response(200, farm.chicken_view(ledger(), friend).model_copy(update={"friend_id": friend_id}))


@app.post(
    "/v1/farm/friends/<friend_id>/nudges",
    summary="Remind a friend (once per friend per local day)",
    responses=responses(Nudged, 201, problems=[403, 429]),
)
@tracer.capture_method
def post_nudge(friend_id: FriendId, body: EmptyBody, key: IdempotencyKeyHeader) -> Response[str]:
    user = caller_id(app)
    friend_id = path_user_id(friend_id)
    check_friend_id(user, friend_id)
    result = nudge(ledger(), user, friend_id, user_zone(app), idempotency_key(app, body.model_dump()))
    _count("Nudges", result.replayed)
    return entry_response(result, Nudged)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)

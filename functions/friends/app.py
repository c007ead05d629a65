"""Friends: ask (PUT, mutual once both sides asked), list (GET), remove on both sides (DELETE)."""

from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import Field

from reward_ledger.edge.http import caller_id, json_response, make_resolver
from reward_ledger.edge.identity import path_user_id
from reward_ledger.edge.openapi import Reply, responses
from reward_ledger.friends import MAX_LISTED, FriendLink, befriend, list_friends, unfriend
from reward_ledger.observability import Logger, Metrics, MetricUnit, Tracer, correlation_paths
from reward_ledger.users import public_user_id

logger = Logger()
metrics = Metrics()
tracer = Tracer()
app = make_resolver()

FriendId = Annotated[str, Path(min_length=1, max_length=255, description="the other user's id (any IdP id)")]


class Friendship(Reply):
    """Asked; friends once both sides asked."""

    friend_id: str
    status: Literal["requested", "friends"] = Field(description="friends: both sides asked")


class Friends(Reply):
    """Friends, the requests you sent and the requests to answer."""

    friends: list[FriendLink] = Field(description=f"at most {MAX_LISTED}")


class Unfriended(Reply):
    """Removed on both sides: friend actions are refused from now on."""

    friend_id: str
    status: Literal["removed"]


@app.put(
    "/v1/friends/<friend_id>",
    summary="Ask to be friends (mutual once both sides asked)",
    responses=responses(Friendship, problems=[429]),
)
@tracer.capture_method
def put_friend(friend_id: FriendId) -> Response[str]:
    status = befriend(caller_id(app), path_user_id(friend_id))
    metrics.add_metric(name="FriendRequests", unit=MetricUnit.Count, value=1)
    return json_response(200, Friendship(friend_id=friend_id, status=status))


@app.get(
    "/v1/friends",
    summary="Your friends, the requests you sent and the requests to answer",
    responses=responses(Friends),
)
@tracer.capture_method
def get_friends() -> Response[str]:
    # the ledger holds encoded ids; the API names users as their tokens do, so a listed id works in a path
    listed = [
        row.model_copy(update={"friend_id": public_user_id(row.friend_id)})
        for row in list_friends(caller_id(app))
    ]
    return json_response(200, Friends(friends=listed))


@app.delete(
    "/v1/friends/<friend_id>",
    summary="Remove a friendship (or a request) on both sides",
    responses=responses(Unfriended, problems=[404]),
)
@tracer.capture_method
def delete_friend(friend_id: FriendId) -> Response[str]:
    unfriend(caller_id(app), path_user_id(friend_id))
    metrics.add_metric(name="Unfriended", unit=MetricUnit.Count, value=1)
    return json_response(200, Unfriended(friend_id=friend_id, status="removed"))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)

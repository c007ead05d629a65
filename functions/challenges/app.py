"""Challenges: staff open their merchant's challenges and check users in; users join and follow their
progress. Check-ins by payment arrive through ProgramEventsFunction."""

from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import Field

from reward_ledger import challenges, clock
from reward_ledger.challenges.items import ChallengeItem, challenge_pk
from reward_ledger.challenges.opening import ID_PATTERN
from reward_ledger.config import StrictModel
from reward_ledger.edge.http import (
    caller_id,
    entry_response,
    idempotency_key,
    json_response,
    make_resolver,
    user_zone,
)
from reward_ledger.edge.openapi import IdempotencyKeyHeader, Reply, link, responses
from reward_ledger.edge.roles import merchant_actor
from reward_ledger.errors import NotFound
from reward_ledger.observability import Logger, Metrics, MetricUnit, Tracer, correlation_paths
from reward_ledger.runtime import ledger
from reward_ledger.users import USER_ID_PATTERN

logger = Logger()
metrics = Metrics()
tracer = Tracer()
app = make_resolver()

MerchantId = Annotated[str, Path(pattern=ID_PATTERN, description="the merchant's id")]
ChallengeId = Annotated[str, Path(pattern=ID_PATTERN, description="the challenge's id")]


class Opened(Reply):
    """The challenge is open: users may join."""

    challenge_id: str = Field(examples=["seven-days"])
    status: Literal["open"]


class Joined(Reply):
    """Day 1 is today, in the caller's local time."""

    challenge_id: str = Field(examples=["seven-days"])
    joined_at: str = Field(description="ISO-8601 UTC", examples=["2026-11-01T02:00:00Z"])
    days: int = Field(examples=[7])
    checked_in_days: int = Field(examples=[0])


class CheckinBody(StrictModel):
    user_id: str = Field(
        pattern=USER_ID_PATTERN, description="the participant at the counter", examples=["alice"]
    )


class CheckedIn(Reply):
    """Today is checked in. The request's Idempotency-Key keys the answer (a replay answers it again); a
    day counts once: a second check-in the same local day under another key answers that day's result
    with ``result: already-checked-in`` and changes nothing."""

    challenge_id: str = Field(examples=["seven-days"])
    user_id: str = Field(examples=["alice"])
    status: Literal["active", "completed"]
    checked_in_days: int = Field(examples=[3])
    days: int = Field(examples=[7])
    today_checked_in: bool
    next_deadline: str | None = Field(description="ISO-8601 in the user's local time; null when completed")
    winner: bool | None = Field(default=None, description="on completion: among the first max_winners")
    result: Literal["checked-in", "already-checked-in"] = Field(
        default="checked-in",
        description="checked-in: this request checked today in; already-checked-in: today already was",
    )


class EmptyBody(StrictModel):
    pass


@app.post(
    "/v1/merchants/<merchant_id>/challenges",
    summary="Open a challenge of N local days (merchant staff)",
    responses=responses(
        Opened,
        201,
        problems=[403, 404],
        links={
            "join": link(
                "post_participant_v1_challenges__challenge_id__participants_post",
                challenge_id="$response.body#/challenge_id",
            )
        },
    ),
)
@tracer.capture_method
def post_challenge(
    merchant_id: MerchantId, body: challenges.ChallengeBody, key: IdempotencyKeyHeader
) -> Response[str]:
    actor = merchant_actor(app, merchant_id)
    idem = idempotency_key(app, body.model_dump(mode="json"))
    return entry_response(challenges.open_challenge(ledger(), merchant_id, body, actor.label, idem), Opened)


@app.post(
    "/v1/challenges/<challenge_id>/participants",
    summary="Join a challenge (day 1 is today, your local day)",
    responses=responses(Joined, 201, problems=[404]),
)
@tracer.capture_method
def post_participant(challenge_id: ChallengeId, body: EmptyBody, key: IdempotencyKeyHeader) -> Response[str]:
    user = caller_id(app)
    idem = idempotency_key(app, body.model_dump())
    result = challenges.join(ledger(), challenge_id, user, user_zone(app), idem)
    if not result.replayed:
        metrics.add_metric(name="ChallengeJoins", unit=MetricUnit.Count, value=1)
    return entry_response(result, Joined)


@app.post(
    "/v1/merchants/<merchant_id>/challenges/<challenge_id>/checkins",
    summary="Check a participant in for today (merchant staff verify it)",
    responses=responses(CheckedIn, 201, problems=[403, 404]),
)
@tracer.capture_method
def post_checkin(
    merchant_id: MerchantId, challenge_id: ChallengeId, body: CheckinBody, key: IdempotencyKeyHeader
) -> Response[str]:
    merchant_actor(app, merchant_id)
    idem = idempotency_key(app, body.model_dump())
    try:
        item = ChallengeItem.get(challenge_pk(challenge_id), "CHALLENGE")
    except ChallengeItem.DoesNotExist as exc:
        raise NotFound(f"no challenge {challenge_id!r} at {merchant_id!r}") from exc
    if item.merchant_id != merchant_id:
        raise NotFound(f"no challenge {challenge_id!r} at {merchant_id!r}")
    outcome = challenges.check_in(ledger(), challenge_id, body.user_id, clock.now(), "staff", idem)
    if outcome["status"] == "not-joined":
        raise NotFound(f"{body.user_id} has not joined {challenge_id!r}")
    if outcome.get("over"):
        raise challenges.ChallengeOver(f"the challenge of {body.user_id} is {outcome['status']}")
    replayed = bool(outcome.pop("replayed", False))
    headers = {"Idempotent-Replayed": "true"} if replayed else None
    return json_response(201, CheckedIn.model_validate(outcome), headers)


@app.get(
    "/v1/me/challenges",
    summary="Your challenges: today's check-in and the next deadline in your local time",
    responses=responses(challenges.MyChallenges),
)
@tracer.capture_method
def get_my_challenges() -> Response[str]:
    return json_response(200, challenges.my_challenges(caller_id(app), clock.now()))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)

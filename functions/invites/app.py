"""Invites: a user makes a code; a friend accepts it (both become friends). The inviter's reward is a
platform campaign paid at the invitee's first qualifying payment (ProgramEventsFunction). Operators
review held invitees (``/v1/admin/held-invites``: the ``ledger/admin`` scope at the JWT authorizer, and
checked again here)."""

from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import Field

from reward_ledger import invites
from reward_ledger.config import StrictModel
from reward_ledger.edge.http import (
    caller_id,
    entry_response,
    idempotency_key,
    json_response,
    make_resolver,
    user_zone,
)
from reward_ledger.edge.openapi import DeviceIdHeader, IdempotencyKeyHeader, Reply, link, responses
from reward_ledger.edge.review import HeldAfter, HeldDay, Review, held_day
from reward_ledger.edge.roles import operator
from reward_ledger.observability import Logger, Metrics, MetricUnit, Tracer, correlation_paths
from reward_ledger.runtime import ledger
from reward_ledger.users import USER_ID_PATTERN

logger = Logger()
metrics = Metrics()
tracer = Tracer()
app = make_resolver()

CODE_PATTERN = r"^[A-Z2-7]{10}$"
InviteCode = Annotated[str, Path(pattern=CODE_PATTERN, description="the invite code")]


class EmptyBody(StrictModel):
    pass


class Invite(Reply):
    """A code for one friend to accept."""

    invite_code: str = Field(examples=["K7M2Q9XAB3"])


class Accepted(Reply):
    """You and the inviter are friends; the inviter's reward follows your first qualifying payment."""

    inviter: str = Field(examples=["alice"])
    status: Literal["accepted", "held"] = Field(
        description="held: too many invitees from this device (or none named): no reward without review"
    )


@app.post(
    "/v1/me/invites",
    summary="Make an invite code (a few a day)",
    responses=responses(
        Invite,
        201,
        problems=[422],
        links={
            "accept": link(
                "post_accept_v1_invites__invite_code__accept_post", invite_code="$response.body#/invite_code"
            )
        },
    ),
)
@tracer.capture_method
def post_invite(body: EmptyBody, key: IdempotencyKeyHeader) -> Response[str]:
    user = caller_id(app)
    result = invites.make_code(ledger(), user, user_zone(app), idempotency_key(app, body.model_dump()))
    return entry_response(result, Invite)


@app.post(
    "/v1/invites/<invite_code>/accept",
    summary="Accept an invite code: you and the inviter become friends",
    responses=responses(Accepted, 201, problems=[404]),
)
@tracer.capture_method
def post_accept(
    invite_code: InviteCode, body: EmptyBody, key: IdempotencyKeyHeader, device: DeviceIdHeader = None
) -> Response[str]:
    user = caller_id(app)
    idem = idempotency_key(app, {**body.model_dump(), "device": device})
    result = invites.accept(ledger(), user, invite_code, device, idem)
    if not result.replayed:
        status = (result.response or {}).get("status", "accepted")
        metrics.add_metric(
            name="InvitesHeld" if status == "held" else "InvitesAccepted", unit=MetricUnit.Count, value=1
        )
    return entry_response(result, Accepted)


class InviteReviewed(Reply):
    """approve: the invitee's next qualifying payment pays the inviter; reject: no reward, ever."""

    invitee: str = Field(examples=["bob"])
    inviter: str = Field(examples=["alice"])
    status: Literal["accepted", "rejected"]


Invitee = Annotated[str, Path(pattern=USER_ID_PATTERN, description="the held invitee (as listed)")]


@app.get(
    "/v1/admin/held-invites",
    summary="Held invitees still waiting for review, oldest first (operators)",
    responses=responses(invites.HeldInvites, problems=[403]),
)
@tracer.capture_method
def list_held(day: HeldDay = None, after: HeldAfter = None) -> Response[str]:
    operator(app)
    return json_response(200, invites.held_invites(held_day(day), after=after))


def _review(invitee: str, body: Review, action: Literal["approve", "reject"]) -> Response[str]:
    actor = operator(app).user
    idem = idempotency_key(app, body.model_dump())
    result = invites.review(ledger(), invitee, action, f"operator:{actor}", body.note, idem)
    if not result.replayed:
        name = "HeldInvitesApproved" if action == "approve" else "HeldInvitesRejected"
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)
    return entry_response(result, InviteReviewed)


@app.post(
    "/v1/admin/held-invites/<invitee>/approve",
    summary="Release a held invitee: their next qualifying payment pays the inviter (operators)",
    responses=responses(InviteReviewed, 201, problems=[403, 404]),
)
@tracer.capture_method
def approve(invitee: Invitee, body: Annotated[Review, Body()], key: IdempotencyKeyHeader) -> Response[str]:
    return _review(invitee, body, "approve")


@app.post(
    "/v1/admin/held-invites/<invitee>/reject",
    summary="Refuse a held invitee: the inviter is never rewarded for them (operators)",
    responses=responses(InviteReviewed, 201, problems=[403, 404]),
)
@tracer.capture_method
def reject(invitee: Invitee, body: Annotated[Review, Body()], key: IdempotencyKeyHeader) -> Response[str]:
    return _review(invitee, body, "reject")


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)

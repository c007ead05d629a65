"""Operators: review of held game rewards (GET /v1/admin/held-rewards, the queue per UTC day; POST
/v1/admin/held-rewards/{entry_id}/approve|reject) and the game catalog (POST /v1/admin/games registers a
game and answers its secret once; PUT /v1/admin/games/{game_id} is a new version; PUT
/v1/admin/games/{game_id}/status approves or suspends; GET /v1/admin/games/{game_id}).

Normal user tokens cannot reach it: the route requires the ``ledger/admin`` scope at the JWT
authorizer (template) and the handler checks it again (``scope``, ``scp`` or the configured group
claim, read by ``edge/identity.token_scopes``). The resolving entry records the operator (``actor``) and the note: the audit trail.
"""

from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import Field

from reward_ledger.edge.http import (
    REPLAYED_HEADER,
    entry_response,
    idempotency_key,
    json_response,
    make_resolver,
)
from reward_ledger.edge.openapi import IdempotencyKeyHeader, Reply, responses
from reward_ledger.edge.review import HeldAfter, HeldDay, Review, held_day
from reward_ledger.edge.roles import operator
from reward_ledger.games import GameSpec, review_held
from reward_ledger.games.admin import change_status, edit_game, game_view, register_game
from reward_ledger.games.admin_replies import GameChanged, GameView, NewGame, Registration, StatusChange
from reward_ledger.games.catalog import GAME_ID
from reward_ledger.games.registry import MAX_VERSION
from reward_ledger.games.review import HeldRewards, held_rewards
from reward_ledger.observability import Logger, Metrics, MetricUnit, Tracer, correlation_paths
from reward_ledger.runtime import ledger

logger = Logger()
metrics = Metrics()
tracer = Tracer()
app = make_resolver()


class Reviewed(Reply):
    """The held reward was paid (approve) or returned to its budgets (reject)."""

    entry_id: str = Field(description="the held entry", examples=["k7q2m4x9a1b3c5d7e9f0"])
    state: Literal["posted", "voided"] = Field(description="posted: paid to the user; voided: returned")


def operator_id() -> str:
    """The operator's id; 403 unless the token carries the admin scope or group."""
    return operator(app).user


def _review(entry_id: str, body: Review, action: Literal["post", "void"]) -> Response[str]:
    actor = operator_id()
    idempotency_key(app, body.model_dump())  # every POST carries one; resolving is itself exactly once
    result = review_held(ledger(), entry_id, action, actor=f"operator:{actor}", note=body.note)
    if not result.replayed:
        metrics.add_metric(
            "HeldRewardsApproved" if action == "post" else "HeldRewardsRejected", MetricUnit.Count, 1
        )
    logger.info("held reward reviewed", extra={"entry_id": entry_id, "action": action, "actor": actor})
    return entry_response(result, Reviewed)


@app.get(
    "/v1/admin/held-rewards",
    summary="Held game rewards still waiting for review, oldest first",
    responses=responses(HeldRewards, problems=[403]),
)
@tracer.capture_method
def list_held(day: HeldDay = None, after: HeldAfter = None) -> Response[str]:
    operator_id()
    held = held_rewards(held_day(day), after=after)
    return json_response(200, held)


@app.post(
    "/v1/admin/held-rewards/<entry_id>/approve",
    summary="Pay a held game reward to the user",
    responses=responses(Reviewed, 201, problems=[403, 404]),
)
@tracer.capture_method
def approve(
    entry_id: Annotated[str, Path(pattern=r"^[a-z0-9]{1,64}$")],
    body: Annotated[Review, Body()],
    key: IdempotencyKeyHeader,
) -> Response[str]:
    return _review(entry_id, body, "post")


@app.post(
    "/v1/admin/held-rewards/<entry_id>/reject",
    summary="Return a held game reward to its budgets",
    responses=responses(Reviewed, 201, problems=[403, 404]),
)
@tracer.capture_method
def reject(
    entry_id: Annotated[str, Path(pattern=r"^[a-z0-9]{1,64}$")],
    body: Annotated[Review, Body()],
    key: IdempotencyKeyHeader,
) -> Response[str]:
    return _review(entry_id, body, "void")


GameId = Annotated[str, Path(pattern=GAME_ID)]


@app.post(
    "/v1/admin/games",
    summary="Register a third-party game (its HMAC secret is in this first answer only)",
    responses=responses(Registration, 201, problems=[403]),
)
@tracer.capture_method
def post_game(body: Annotated[NewGame, Body()], key: IdempotencyKeyHeader) -> Response[str]:
    actor = operator(app)
    idem = idempotency_key(app, body.model_dump(mode="json"))
    spec = GameSpec.model_validate(body.spec_data())
    registered = register_game(ledger(), body.game_id, spec, body.status, actor.label, idem)
    replayed = registered.result.replayed
    logger.info("game registered", extra={"game_id": body.game_id, "actor": actor.user, "replayed": replayed})
    headers = {REPLAYED_HEADER: "true"} if replayed else None
    return json_response(201, registered.reply(), headers)


@app.put(
    "/v1/admin/games/<game_id>",
    summary="Edit a game: a new version (sessions opened from now on are judged by it)",
    responses=responses(GameChanged, problems=[403, 404, 503]),
)
@tracer.capture_method
def put_game(game_id: GameId, body: Annotated[GameSpec, Body()]) -> Response[str]:
    actor = operator(app)
    changed = edit_game(ledger(), game_id, body, actor.label)
    logger.info("game edited", extra={"game_id": game_id, "actor": actor.user, "version": changed.version})
    return json_response(200, changed)


@app.put(
    "/v1/admin/games/<game_id>/status",
    summary="Approve (active) or suspend a game",
    responses=responses(GameChanged, problems=[403, 404, 503]),
)
@tracer.capture_method
def put_game_status(game_id: GameId, body: Annotated[StatusChange, Body()]) -> Response[str]:
    actor = operator(app)
    changed = change_status(ledger(), game_id, body.status, actor.label, body.note)
    logger.info("game status", extra={"game_id": game_id, "actor": actor.user, "status": body.status})
    return json_response(200, changed)


@app.get(
    "/v1/admin/games/<game_id>",
    summary="A game's catalog entry (or one of its versions); never its secret",
    responses=responses(GameView, problems=[403, 404]),
)
@tracer.capture_method
def get_game(
    game_id: GameId,
    version: Annotated[
        int | None, Query(ge=1, le=MAX_VERSION, description="a version; default the current")
    ] = None,
) -> Response[str]:
    operator(app)
    return json_response(200, game_view(game_id, version))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)

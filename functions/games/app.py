"""GET /v1/games, POST /v1/games/{game_id}/sessions, POST /v1/games/sessions/{session_id}/result."""

from typing import Annotated, Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Header, Path
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict, Field, StrictInt

from reward_ledger.edge.http import (
    REPLAYED_HEADER,
    caller_id,
    entry_response,
    idempotency_key,
    json_response,
    make_resolver,
    user_zone,
)
from reward_ledger.games import ResultInput, games, open_session, submit_result
from reward_ledger.games.antifraud import DEVICE_ID
from reward_ledger.games.catalog import GAME_ID
from reward_ledger.runtime import ledger

logger = Logger()
metrics = Metrics()
tracer = Tracer()
app = make_resolver()
MAX_LEVEL = 1000


class OpenSession(BaseModel):
    model_config = ConfigDict(extra="forbid")

    level: StrictInt | None = Field(default=None, ge=1, le=MAX_LEVEL, description="the level played")


class GameResult(BaseModel):
    model_config = ConfigDict(extra="forbid")

    score: StrictInt = Field(ge=0, le=10**9)
    duration_ms: StrictInt = Field(gt=0, le=24 * 3_600_000)
    signature: str = Field(pattern=r"^[0-9a-f]{64}$")


@app.get("/v1/games", summary="The game catalog")
@tracer.capture_method
def list_games() -> Response[str]:
    caller_id(app)
    return json_response(
        200, {"games": [{"game_id": g.game_id, "title": g.title, "title_zh": g.title_zh} for g in games()]}
    )


@app.post("/v1/games/<game_id>/sessions", summary="Open a single-use game session")
@tracer.capture_method
def post_session(
    game_id: Annotated[str, Path(pattern=GAME_ID)],
    body: Annotated[OpenSession, Body()],
) -> Response[str]:
    user = caller_id(app)
    idem = idempotency_key(app, body.model_dump())
    opened = open_session(user, game_id, idem, level=body.level)
    metrics.add_metric("GameSessionsOpened", MetricUnit.Count, 0 if opened.replayed else 1)
    return json_response(201, opened.body(), {REPLAYED_HEADER: "true"} if opened.replayed else None)


@app.post("/v1/games/sessions/<session_id>/result", summary="Submit a signed game result")
@tracer.capture_method
def post_result(
    session_id: Annotated[str, Path(pattern=r"^[a-z][a-z0-9-]{0,31}\.[a-z2-7]{26}$")],
    body: Annotated[GameResult, Body()],
    x_device_id: Annotated[str | None, Header(alias="X-Device-Id", pattern=DEVICE_ID)] = None,
) -> Response[str]:
    user = caller_id(app)
    idem = idempotency_key(app, body.model_dump())
    result = submit_result(
        ledger(),
        ResultInput(
            user_id=user,
            session_id=session_id,
            score=body.score,
            duration_ms=body.duration_ms,
            signature=body.signature,
            device_id=x_device_id,
            tz=user_zone(app),
        ),
        idem,
    )
    if not result.replayed and result.response is not None:
        status = str(result.response.get("status"))
        metrics.add_metric(
            "GameResultsHeld" if status == "held" else "GameResultsCredited", MetricUnit.Count, 1
        )
        metrics.add_metric("GameRewardFen", MetricUnit.Count, int(result.response.get("granted", 0)))
    return entry_response(result)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)

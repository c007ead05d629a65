"""GET /v1/games, POST /v1/games/{game_id}/sessions, POST /v1/games/sessions/{session_id}/result."""

from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import Field

from reward_ledger import clock
from reward_ledger.cap_zones import cap_zone, first_use
from reward_ledger.config import StrictModel
from reward_ledger.edge.http import (
    REPLAYED_HEADER,
    caller_id,
    entry_response,
    idempotency_key,
    json_response,
    make_resolver,
    user_zone,
)
from reward_ledger.edge.openapi import DeviceIdHeader, IdempotencyKeyHeader, Reply, WholeInt, link, responses
from reward_ledger.games import ResultInput, games, open_session, submit_result
from reward_ledger.games.catalog import GAME_ID
from reward_ledger.games.sessions import MAX_LEVEL, SESSION_ID_PATTERN
from reward_ledger.observability import Logger, Metrics, MetricUnit, Tracer, correlation_paths
from reward_ledger.rate_limits import AlsoRefused
from reward_ledger.runtime import ledger

logger = Logger()
metrics = Metrics()
tracer = Tracer()
app = make_resolver()


class OpenSession(StrictModel):
    level: WholeInt | None = Field(default=None, ge=1, le=MAX_LEVEL, description="the level played")


class GameResult(StrictModel):
    score: WholeInt = Field(ge=0, le=10**9, examples=[1200])
    duration_ms: WholeInt = Field(
        gt=0, le=24 * 3_600_000, description="milliseconds played", examples=[60000]
    )
    signature: str = Field(
        pattern=r"^[0-9a-f]{64}$",
        description='lowercase hex HMAC-SHA256 with the game\'s secret over "{session_id}:{score}:{duration_ms}"',
    )


class GameInfo(Reply):
    game_id: str = Field(examples=["tap-tap"])
    title: str = Field(examples=["Tap tap"])
    title_zh: str


class Games(Reply):
    """The game catalog."""

    games: list[GameInfo]


class SessionOpened(Reply):
    """A single-use session: submit its result before it expires."""

    session_id: str = Field(
        description="the game, a token and, when opened for one, the level",
        examples=["puzzle.abcdefghijklmnopqrstuvwxyz.3"],
    )
    expires_at: str = Field(description="ISO-8601 UTC", examples=["2026-12-01T08:30:00Z"])
    level: int | None = Field(default=None, description="the level the session was opened for", examples=[3])


class ResponsiblePlay(Reply):
    past_daily_reminder: bool = Field(description="today's play time passed the reminder")
    daily_reminder_minutes: int = Field(description="minutes of play per local day before the reminder")


class ResultRecorded(Reply):
    """The result's reward: credited to cash, or held for review."""

    entry_id: str = Field(examples=["k7q2m4x9a1b3c5d7e9f0"])
    status: Literal["credited", "held"] = Field(description="held: paid once an operator approves")
    requested: int = Field(description="fen the score earns before caps", examples=[120])
    granted: int = Field(description="fen granted after the daily cap and budgets", examples=[120])
    sponsored: int = Field(
        description="always 0: sponsors pay through their game.result campaigns, as a separate campaign.award"
        " entry on the user's cash once this result is credited",
        examples=[0],
    )
    responsible_play: ResponsiblePlay


@app.get("/v1/games", summary="The game catalog", responses=responses(Games))
@tracer.capture_method
def list_games() -> Response[str]:
    caller_id(app)
    found = [GameInfo(game_id=g.game_id, title=g.title, title_zh=g.title_zh) for g in games()]
    return json_response(200, Games(games=found))


@app.post(
    "/v1/games/<game_id>/sessions",
    summary="Open a single-use game session",
    responses=responses(
        SessionOpened,
        201,
        problems=[404, 429],
        links={
            "submitResult": link(
                "post_result_v1_games_sessions__session_id__result_post",
                session_id="$response.body#/session_id",
            )
        },
    ),
)
@tracer.capture_method
def post_session(
    game_id: Annotated[str, Path(pattern=GAME_ID)],
    body: Annotated[OpenSession, Body()],
    key: IdempotencyKeyHeader,
) -> Response[str]:
    user = caller_id(app)
    idem = idempotency_key(app, body.model_dump())
    # the zone is recorded on first use, inside the session's own transaction (the result's cap day
    # follows the record, and the result stays one round trip); a record that disagrees is settled first
    recording = first_use(user, user_zone(app))
    try:
        opened = open_session(
            user, game_id, idem, level=body.level, also=recording.add_to if recording else None
        )
    except AlsoRefused:
        cap_zone(user, user_zone(app))
        opened = open_session(user, game_id, idem, level=body.level)
    else:
        if recording and not opened.replayed:
            recording.remember(clock.now())
    metrics.add_metric("GameSessionsOpened", MetricUnit.Count, 0 if opened.replayed else 1)
    headers = {REPLAYED_HEADER: "true"} if opened.replayed else None
    return json_response(201, SessionOpened.model_validate(opened.body()), headers)


@app.post(
    "/v1/games/sessions/<session_id>/result",
    summary="Submit a signed game result",
    responses=responses(ResultRecorded, 201, problems=[403, 404, 422]),
)
@tracer.capture_method
def post_result(
    session_id: Annotated[str, Path(pattern=SESSION_ID_PATTERN)],
    body: Annotated[GameResult, Body()],
    key: IdempotencyKeyHeader,
    x_device_id: DeviceIdHeader = None,
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
            tz=cap_zone(user, user_zone(app)),
        ),
        idem,
    )
    if not result.replayed and result.response is not None:
        status = str(result.response.get("status"))
        metrics.add_metric(
            "GameResultsHeld" if status == "held" else "GameResultsCredited", MetricUnit.Count, 1
        )
        metrics.add_metric("GameRewardFen", MetricUnit.Count, int(result.response.get("granted", 0)))
    return entry_response(result, ResultRecorded)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)

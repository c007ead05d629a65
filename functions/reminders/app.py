"""GET/PUT /v1/me/reminders: the caller's muted reminder kinds and quiet hours (in their local time)."""

from typing import Any, Literal, get_args

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import Field

from reward_ledger.config import StrictModel
from reward_ledger.edge.http import caller_id, json_response, make_resolver, user_zone
from reward_ledger.edge.openapi import responses
from reward_ledger.observability import Logger, Metrics, Tracer, correlation_paths
from reward_ledger.reminders.models import REMINDER_NAMES
from reward_ledger.reminders.prefs import Prefs, ReminderSettings, get_prefs, put_prefs

logger = Logger()
metrics = Metrics()
tracer = Tracer()
app = make_resolver()

ReminderName = Literal[
    "oxygen-expiring",
    "chicken-hungry",
    "friend-nudge",
    "withdrawal-completed",
    "withdrawal-rejected",
    "coupon-expiring",
    "challenge-checkin",
]
assert set(get_args(ReminderName)) == set(REMINDER_NAMES), "the route accepts exactly the known kinds"
HHMM = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"


class QuietHours(StrictModel):
    start: str = Field(pattern=HHMM, description="local time HH:MM at which quiet hours begin")
    end: str = Field(pattern=HHMM, description="local time HH:MM at which they end (may be the next day)")


class RemindersBody(StrictModel):
    muted: list[ReminderName] = Field(default_factory=list, max_length=16)
    quiet_hours: QuietHours | None = None


@app.get(
    "/v1/me/reminders",
    summary="Your muted reminder kinds and quiet hours",
    responses=responses(ReminderSettings),
)
@tracer.capture_method
def get_reminders() -> Response[str]:
    return json_response(200, get_prefs(caller_id(app)).view())


@app.put(
    "/v1/me/reminders",
    summary="Mute reminder kinds and set quiet hours (your local time)",
    responses=responses(ReminderSettings, problems=[415]),
)
@tracer.capture_method
def put_reminders(body: RemindersBody) -> Response[str]:
    quiet = body.quiet_hours
    if quiet is not None and quiet.start == quiet.end:
        quiet = None  # an empty window: no quiet hours
    prefs = Prefs(
        frozenset(body.muted),
        quiet.start if quiet else None,
        quiet.end if quiet else None,
        user_zone(app),
    )
    return json_response(200, put_prefs(caller_id(app), prefs).view())


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)

"""Scripted savings: the story catalog, story choices (wallet -> purse) and purse releases (purse -> wallet)."""

import json
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import AmazonCloudWatchEMFProvider
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import Field

from reward_ledger.config import StrictModel
from reward_ledger.edge.http import (
    PROBLEM_JSON,
    caller_id,
    entry_response,
    idempotency_key,
    json_response,
    make_resolver,
    user_zone,
)
from reward_ledger.edge.openapi import IdempotencyKeyHeader, Reply, WholeInt, responses
from reward_ledger.observability import Logger, Metrics, MetricUnit, Tracer, correlation_paths
from reward_ledger.runtime import ledger
from reward_ledger.savings import ID_PATTERN, catalog, choose, release, stories_view, story_view
from reward_ledger.savings.views import Progress, StoryRef, StorySummary, StoryView

catalog()  # a malformed data/stories.toml fails the cold start with its message, not a request later

logger = Logger()
metrics = Metrics()
tracer = Tracer()
app = make_resolver()
# Rejections carry a `reason` dimension of their own, so they get their own EMF blob (flushed per request).
rejections = AmazonCloudWatchEMFProvider(metric_set={}, dimension_set={}, metadata_set={})

StoryId = Annotated[str, Path(pattern=ID_PATTERN)]


class ChoiceBody(StrictModel):
    chapter: WholeInt = Field(ge=1, le=1000, description="the chapter the caller is at", examples=[1])
    choice_id: str = Field(pattern=ID_PATTERN, examples=["flowers"])


class ReleaseBody(StrictModel):
    amount: WholeInt = Field(gt=0, le=10**12, description="fen moved from the purse back to the wallet")


class Stories(Reply):
    """The story catalog with the caller's progress in each story."""

    stories: list[StorySummary]


class ChoiceMade(Reply):
    """The choice's amount moved wallet -> purse."""

    entry_id: str = Field(examples=["k7q2m4x9a1b3c5d7e9f0"])
    story_id: str = Field(examples=["first-date"])
    choice_id: str = Field(examples=["flowers"])
    amount: int = Field(description="fen moved from the wallet to the purse", examples=[1990])
    progress: Progress
    next_story: StoryRef | None = Field(default=None, description="set when this choice completed the story")


class Released(Reply):
    """The amount moved purse -> wallet."""

    entry_id: str = Field(examples=["k7q2m4x9a1b3c5d7e9f0"])
    amount: int = Field(description="fen moved from the purse to the wallet", examples=[500])


@app.get(
    "/v1/stories",
    summary="The story catalog with the caller's progress in each story",
    responses=responses(Stories),
)
@tracer.capture_method
def list_stories() -> Response[str]:
    return json_response(200, Stories(stories=stories_view(caller_id(app))))


@app.get(
    "/v1/stories/<story_id>",
    summary="A story's chapters and choices, progress and savings summary",
    responses=responses(StoryView, problems=[404]),
)
@tracer.capture_method
def get_story(story_id: StoryId) -> Response[str]:
    return json_response(200, story_view(caller_id(app), story_id, tz=user_zone(app)))


@app.post(
    "/v1/stories/<story_id>/choices",
    summary="Make a choice: its amount moves wallet -> purse",
    responses=responses(ChoiceMade, 201, problems=[404, 422]),
)
@tracer.capture_method
def post_choice(story_id: StoryId, body: ChoiceBody, key: IdempotencyKeyHeader) -> Response[str]:
    user = caller_id(app)
    idem = idempotency_key(app, body.model_dump())
    result = choose(ledger(), user, story_id, body.chapter, body.choice_id, idem, tz=user_zone(app))
    if result.replayed:
        metrics.add_metric(name="SavingsChoiceReplays", unit=MetricUnit.Count, value=1)
    else:
        amount = int((result.response or {}).get("amount", 0))
        metrics.add_metric(name="SavingsChoices", unit=MetricUnit.Count, value=1)
        metrics.add_metric(name="SavedAmountFen", unit=MetricUnit.Count, value=amount)
        if (result.response or {}).get("progress", {}).get("completed"):
            metrics.add_metric(name="StoriesCompleted", unit=MetricUnit.Count, value=1)
    logger.info("savings choice", extra={"entry_id": result.entry_id, "replayed": result.replayed})
    return entry_response(result, ChoiceMade)


@app.post(
    "/v1/purse/releases",
    summary="Release purse money back to the wallet",
    responses=responses(Released, 201, problems=[422]),
)
@tracer.capture_method
def post_release(body: ReleaseBody, key: IdempotencyKeyHeader) -> Response[str]:
    user = caller_id(app)
    idem = idempotency_key(app, body.model_dump())
    result = release(ledger(), user, body.amount, idem)
    if result.replayed:
        metrics.add_metric(name="PurseReleaseReplays", unit=MetricUnit.Count, value=1)
    else:
        metrics.add_metric(name="PurseReleases", unit=MetricUnit.Count, value=1)
        metrics.add_metric(name="ReleasedAmountFen", unit=MetricUnit.Count, value=body.amount)
    return entry_response(result, Released)


def _count_rejection(response: dict[str, Any]) -> None:
    """Every refused request, by problem type (chapter-mismatch, insufficient-funds, validation-error...)."""
    headers = {k.lower(): v for k, v in (response.get("headers") or {}).items()}
    if response.get("statusCode", 200) < 400 or headers.get("content-type") != PROBLEM_JSON:
        return
    try:
        reason = str(json.loads(response.get("body") or "{}").get("type", "unknown"))
    except ValueError:
        reason = "unknown"
    rejections.add_dimension(name="reason", value=reason)
    rejections.add_metric(name="SavingsRejections", unit=MetricUnit.Count, value=1)
    rejections.flush_metrics()
    rejections.clear_metrics()  # flushing skips the clear when metrics are disabled


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    response = app.resolve(event, context)
    _count_rejection(response)
    return response

"""Operator review of held game rewards: GET /v1/admin/held-rewards (the queue, per UTC day) and
POST /v1/admin/held-rewards/{entry_id}/approve|reject.

Normal user tokens cannot reach it: the route requires the ``ledger/admin`` scope at the JWT
authorizer (template) and the handler checks it again (``scope`` or ``cognito:groups`` claim). The
resolving entry records the operator (``actor``) and the note: the audit trail.
"""

from datetime import date
from typing import Annotated, Any, Literal

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict, Field

from reward_ledger import clock
from reward_ledger.edge.http import entry_response, idempotency_key, json_response, make_resolver
from reward_ledger.edge.roles import operator
from reward_ledger.games import review_held
from reward_ledger.games.review import held_rewards
from reward_ledger.runtime import ledger

logger = Logger()
metrics = Metrics()
tracer = Tracer()
app = make_resolver()


class Review(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str = Field(default="", max_length=500)


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
    return entry_response(result)


@app.get("/v1/admin/held-rewards", summary="Held game rewards still waiting for review, oldest first")
@tracer.capture_method
def list_held(
    day: Annotated[date | None, Query(description="UTC day the rewards were held; default today")] = None,
    after: Annotated[str | None, Query(max_length=120, description="`next` of the previous page")] = None,
) -> Response[str]:
    operator_id()
    return json_response(200, held_rewards(day or clock.now().date(), after=after))


@app.post("/v1/admin/held-rewards/<entry_id>/approve", summary="Pay a held game reward to the user")
@tracer.capture_method
def approve(
    entry_id: Annotated[str, Path(pattern=r"^[a-z0-9]{1,64}$")], body: Annotated[Review, Body()]
) -> Response[str]:
    return _review(entry_id, body, "post")


@app.post("/v1/admin/held-rewards/<entry_id>/reject", summary="Return a held game reward to its budgets")
@tracer.capture_method
def reject(
    entry_id: Annotated[str, Path(pattern=r"^[a-z0-9]{1,64}$")], body: Annotated[Review, Body()]
) -> Response[str]:
    return _review(entry_id, body, "void")


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)

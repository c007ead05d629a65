"""GET /v1/charity/projects: pooled projects with their targets and what they raised (eggs and seeds)."""

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.utilities.typing import LambdaContext

from reward_ledger.charity import ProjectView, projects_view
from reward_ledger.edge.http import caller_id, json_response, make_resolver
from reward_ledger.edge.openapi import Reply, responses
from reward_ledger.observability import Logger, Metrics, Tracer, correlation_paths

logger = Logger()
metrics = Metrics()
tracer = Tracer()
app = make_resolver()


class Projects(Reply):
    """Charity projects with their target and what they raised."""

    projects: list[ProjectView]


@app.get(
    "/v1/charity/projects",
    summary="Charity projects with target and raised amount",
    responses=responses(Projects),
)
@tracer.capture_method
def get_projects() -> Response[str]:
    caller_id(app)
    return json_response(200, Projects(projects=projects_view()))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)

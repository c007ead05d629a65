"""GET /v1/me/balances and GET /v1/me/journal: the caller's own books."""

from typing import Annotated, Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from reward_ledger.accounts_view import journal_page, user_balances
from reward_ledger.edge.http import caller_id, json_response, make_resolver

logger = Logger()
metrics = Metrics()
tracer = Tracer()
app = make_resolver()


@app.get("/v1/me/balances", summary="Balances of the caller's books")
@tracer.capture_method
def get_balances() -> Response[str]:
    return json_response(200, {"balances": user_balances(caller_id(app))})


@app.get("/v1/me/journal", summary="The caller's entries on one book, newest first")
@tracer.capture_method
def get_journal(
    book: Annotated[str, Query(max_length=32)] = "wallet",
    asset: Annotated[str | None, Query(max_length=16)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> Response[str]:
    return json_response(200, journal_page(caller_id(app), book, asset, limit, cursor))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)

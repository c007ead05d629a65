"""GET /v1/me/balances and GET /v1/me/journal: the caller's own books."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.utilities.typing import LambdaContext

from reward_ledger.accounts_view import Balance, JournalPage, journal_page, user_balances
from reward_ledger.config import ledger_settings
from reward_ledger.edge.http import caller_id, json_response, make_resolver
from reward_ledger.edge.openapi import Reply, one_of, responses
from reward_ledger.ledger.history import MAX_PAGE
from reward_ledger.observability import Logger, Metrics, Tracer, correlation_paths

logger = Logger()
metrics = Metrics()
tracer = Tracer()
app = make_resolver()
BOOKS = one_of(b.book for b in ledger_settings().user_books)


class Balances(Reply):
    """The balance of each of the caller's books."""

    balances: list[Balance]


@app.get("/v1/me/balances", summary="Balances of the caller's books", responses=responses(Balances))
@tracer.capture_method
def get_balances() -> Response[str]:
    return json_response(200, Balances(balances=user_balances(caller_id(app))))


@app.get(
    "/v1/me/journal",
    summary="The caller's entries on one book, newest first",
    responses=responses(JournalPage),
)
@tracer.capture_method
def get_journal(
    book: Annotated[
        str, Query(max_length=32, description="one of the balances' books", json_schema_extra=BOOKS)
    ] = "wallet",
    asset: Annotated[str | None, Query(max_length=16, description="the book's asset, if given")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="entries per page")] = 20,
    cursor: Annotated[
        str | None, Query(max_length=2048, description="`next_cursor` of the last page")
    ] = None,
) -> Response[str]:
    page = journal_page(caller_id(app), book, asset, limit, cursor)
    return json_response(200, page)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)

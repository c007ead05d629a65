"""Rentals from sharing cabinets: borrow (deposit held unless the trust tier waives it) and return."""

from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import Field

from reward_ledger import rentals
from reward_ledger.config import StrictModel
from reward_ledger.edge.http import caller_id, entry_response, idempotency_key, json_response, make_resolver
from reward_ledger.edge.openapi import IdempotencyKeyHeader, Reply, link, responses
from reward_ledger.observability import Logger, Metrics, MetricUnit, Tracer, correlation_paths
from reward_ledger.rentals import ID_PATTERN, borrow, cabinet_view, rental_view, return_rental
from reward_ledger.runtime import ledger

logger = Logger()
metrics = Metrics()
tracer = Tracer()
app = make_resolver()

RentalId = Annotated[str, Path(pattern=ID_PATTERN)]


class BorrowBody(StrictModel):
    cabinet_id: str = Field(pattern=ID_PATTERN, examples=["cab-1"])
    item: str = Field(pattern=ID_PATTERN, examples=["umbrella"])


class ReturnBody(StrictModel):
    pass


class Borrowed(Reply):
    """The item is the caller's until due_at; its deposit (unless waived) is held."""

    rental_id: str
    deposit_held: int = Field(description="fen held from the wallet; 0 when the trust tier waives it")
    due_at: str = Field(description="ISO-8601 UTC; not returned by then, the deposit is forfeited")
    tier: str = Field(description="the caller's trust tier", examples=["standard"])
    qualifying_returns: int | None = Field(
        None, description="the caller's returns that count towards a tier (absent on rentals made before)"
    )


class Returned(Reply):
    """The item is back; the deposit hold is released."""

    status: Literal["returned"]
    rental_id: str
    on_time: bool
    deposit_refunded: int = Field(description="fen released back to the wallet")
    trust_outcome: rentals.Outcome | None = Field(
        None,
        description="whether this return counts towards a trust tier, or the first rule it missed: "
        "too-short (a loan under the minimum), late, same-day (one return counts per local day)",
    )


@app.post(
    "/v1/rentals",
    summary="Borrow an item from a cabinet",
    responses=responses(
        Borrowed,
        201,
        problems=[404, 422, 429],
        links={
            "getRental": link("get_rental_v1_rentals__rental_id__get", rental_id="$response.body#/rental_id"),
            "returnRental": link(
                "post_return_v1_rentals__rental_id__return_post", rental_id="$response.body#/rental_id"
            ),
        },
    ),
)
@tracer.capture_method
def post_rental(body: BorrowBody, key: IdempotencyKeyHeader) -> Response[str]:
    user = caller_id(app)
    result = borrow(ledger(), user, body.cabinet_id, body.item, idempotency_key(app, body.model_dump()))
    if not result.replayed:
        waived = int((result.response or {}).get("deposit_held", 0)) == 0
        metrics.add_metric(name="RentalsStarted", unit=MetricUnit.Count, value=1)
        metrics.add_metric(name="DepositsWaived", unit=MetricUnit.Count, value=1 if waived else 0)
    logger.info("rental started", extra={"entry_id": result.entry_id, "replayed": result.replayed})
    return entry_response(result, Borrowed)


@app.post(
    "/v1/rentals/<rental_id>/return",
    summary="Return a borrowed item: the deposit hold is voided",
    responses=responses(Returned, 201, problems=[404]),
)
@tracer.capture_method
def post_return(rental_id: RentalId, body: ReturnBody, key: IdempotencyKeyHeader) -> Response[str]:
    user = caller_id(app)
    result = return_rental(ledger(), user, rental_id, idempotency_key(app, body.model_dump()))
    if not result.replayed:
        metrics.add_metric(name="RentalsReturned", unit=MetricUnit.Count, value=1)
    logger.info("rental returned", extra={"rental_id": rental_id, "replayed": result.replayed})
    return entry_response(result, Returned)


@app.get(
    "/v1/rentals/<rental_id>",
    summary="One of the caller's rentals",
    responses=responses(rentals.Rental, problems=[404]),
)
@tracer.capture_method
def get_rental(rental_id: RentalId) -> Response[str]:
    return json_response(200, rental_view(ledger(), caller_id(app), rental_id))


@app.get(
    "/v1/cabinets/<cabinet_id>",
    summary="A cabinet's items and how many are available",
    responses=responses(rentals.CabinetView, problems=[404]),
)
@tracer.capture_method
def get_cabinet(cabinet_id: Annotated[str, Path(pattern=ID_PATTERN)]) -> Response[str]:
    caller_id(app)
    return json_response(200, cabinet_view(ledger(), cabinet_id))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)

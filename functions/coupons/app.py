"""Coupons: redeem seeds for one unit of a coupon's finite stock; list coupons with their stock."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import Field

from reward_ledger.config import StrictModel
from reward_ledger.coupons import ID_PATTERN, CouponView, coupons_view, redeem
from reward_ledger.edge.http import caller_id, entry_response, idempotency_key, json_response, make_resolver
from reward_ledger.edge.openapi import IdempotencyKeyHeader, Reply, link, responses
from reward_ledger.observability import Logger, Metrics, MetricUnit, Tracer, correlation_paths
from reward_ledger.runtime import ledger

logger = Logger()
metrics = Metrics()
tracer = Tracer()
app = make_resolver()


class RedemptionBody(StrictModel):
    pass


class Redeemed(Reply):
    """One unit of the coupon is the caller's; its price in seeds was paid."""

    redemption_id: str
    coupon_id: str
    seeds: int = Field(description="seeds paid (counts)", examples=[50])


class Coupons(Reply):
    """Coupons with their price in seeds and remaining stock."""

    coupons: list[CouponView]


@app.post(
    "/v1/coupons/<coupon_id>/redemptions",
    summary="Redeem seeds for one coupon",
    responses=responses(Redeemed, 201, problems=[404, 422]),
)
@tracer.capture_method
def post_redemption(
    coupon_id: Annotated[str, Path(pattern=ID_PATTERN)], body: RedemptionBody, key: IdempotencyKeyHeader
) -> Response[str]:
    user = caller_id(app)
    result = redeem(ledger(), user, coupon_id, idempotency_key(app, body.model_dump()))
    if not result.replayed:
        metrics.add_metric(name="CouponsRedeemed", unit=MetricUnit.Count, value=1)
    logger.info("coupon redeemed", extra={"entry_id": result.entry_id, "replayed": result.replayed})
    return entry_response(result, Redeemed)


@app.get(
    "/v1/coupons",
    summary="Coupons with their price in seeds and remaining stock",
    responses=responses(
        Coupons,
        links={
            "redeemFirst": link(
                "post_redemption_v1_coupons__coupon_id__redemptions_post",
                coupon_id="$response.body#/coupons/0/coupon_id",
            )
        },
    ),
)
@tracer.capture_method
def get_coupons() -> Response[str]:
    caller_id(app)
    return json_response(200, Coupons(coupons=coupons_view(ledger())))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)

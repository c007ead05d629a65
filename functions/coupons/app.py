"""Coupons: seeds buy one unit of a coupon's finite stock and an instance of the merchant's coupon (a code
the user holds, ``GET /v1/me/coupons``); list coupons with their stock."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import Field

from reward_ledger import clock
from reward_ledger.campaigns.shop import bought_coupon
from reward_ledger.config import StrictModel
from reward_ledger.coupons import ID_PATTERN, Coupon, CouponView, Instance, coupons_view, redeem
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


class BoughtCoupon(Reply):
    """The coupon instance the caller now holds (listed by GET /v1/me/coupons)."""

    coupon_id: str = Field(description="the instance's id", examples=["cp0123456789abcdef01234567"])
    code: str = Field(description="shown at the merchant's till", examples=["K7M2Q9XAB3CD-500"])
    value: int = Field(description="fen off an order", examples=[500])
    expires_at: str = Field(description="ISO-8601 UTC", examples=["2026-12-31T08:00:00.000Z"])


class Redeemed(Reply):
    """One unit of the coupon is the caller's, as a coupon instance; its price in seeds was paid."""

    redemption_id: str
    coupon_id: str
    seeds: int = Field(description="seeds paid (counts)", examples=[50])
    coupon: BoughtCoupon


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

    def issue(item: Coupon) -> Instance:
        return bought_coupon(item.merchant_id, item.campaign_id, item.coupon_id, user, clock.now())

    result = redeem(ledger(), user, coupon_id, idempotency_key(app, body.model_dump()), issue)
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

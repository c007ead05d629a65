"""Loyalty programs: staff set their merchant's program and spend a member's points at checkout; members
exchange their points for a coupon of one of the merchant's campaigns and see their points, tiers and
what expires when. Points are earned by payments (ProgramEventsFunction)."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import Field

from reward_ledger import clock, loyalty
from reward_ledger.campaigns import shop
from reward_ledger.campaigns.spec import ID_PATTERN
from reward_ledger.config import StrictModel
from reward_ledger.coupon_instance import Instance
from reward_ledger.edge.http import caller_id, entry_response, idempotency_key, json_response, make_resolver
from reward_ledger.edge.openapi import IdempotencyKeyHeader, Reply, WholeInt, responses
from reward_ledger.edge.roles import merchant_actor
from reward_ledger.loyalty.program import Tier
from reward_ledger.observability import Logger, Metrics, MetricUnit, Tracer, correlation_paths
from reward_ledger.runtime import ledger
from reward_ledger.users import USER_ID_PATTERN

logger = Logger()
metrics = Metrics()
tracer = Tracer()
app = make_resolver()

MerchantId = Annotated[str, Path(pattern=ID_PATTERN, description="the merchant's id")]


class Program(Reply):
    """The merchant's program as now in force."""

    merchant_id: str = Field(examples=["m1"])
    version: int = Field(description="grows with each change", examples=[1])
    earn_per_yuan: int = Field(description="points per yuan (100 fen) spent at the merchant", examples=[1])
    tiers: list[Tier]
    points_valid_days: int = Field(description="days a point stays valid", examples=[365])
    tier_window_days: int = Field(
        description="tiers count the points earned over this many days", examples=[365]
    )


class SpendBody(StrictModel):
    user_id: str = Field(
        pattern=USER_ID_PATTERN, description="the member paying with points", examples=["alice"]
    )
    points: WholeInt = Field(ge=1, le=10**9, description="points to spend", examples=[100])
    order_id: str = Field(min_length=1, max_length=128, examples=["o-1"])


class PointsSpent(Reply):
    """Points taken from the member's oldest lots first."""

    entry_id: str = Field(examples=["ek7q2m4x9a1b3c5d7e9f0abcde"])
    user_id: str = Field(examples=["alice"])
    points_spent: int = Field(examples=[100])
    points: int = Field(description="points the member holds afterwards", examples=[220])


@app.post(
    "/v1/merchants/<merchant_id>/loyalty",
    summary="Set the merchant's loyalty program (merchant staff)",
    responses=responses(Program, 201, problems=[403, 404]),
)
@tracer.capture_method
def post_program(
    merchant_id: MerchantId, body: loyalty.ProgramBody, key: IdempotencyKeyHeader
) -> Response[str]:
    actor = merchant_actor(app, merchant_id)
    idem = idempotency_key(app, body.model_dump(mode="json"))
    result = loyalty.set_program(ledger(), merchant_id, body, actor.label, idem)
    return entry_response(result, Program)


class ExchangeBody(StrictModel):
    merchant_id: str = Field(pattern=ID_PATTERN, description="the merchant whose points", examples=["m1"])
    campaign_id: str = Field(
        pattern=ID_PATTERN,
        description="an active campaign of the merchant selling its coupon for points (points.exchange)",
        examples=["coffee-for-points"],
    )


class ExchangedCoupon(Reply):
    coupon_id: str = Field(examples=["cp3f9a0c1d2e4b5a6978877665"])
    code: str = Field(description="shown at the till; redeemed once", examples=["K7M2Q9XAB3CD-500"])
    value: int = Field(description="fen off an order", examples=[500])
    expires_at: str = Field(description="ISO-8601 UTC", examples=["2026-12-01T02:00:00Z"])


class PointsExchanged(Reply):
    """The campaign's price in points taken from your oldest lots, and its coupon, in one entry."""

    entry_id: str = Field(examples=["ek7q2m4x9a1b3c5d7e9f0abcde"])
    user_id: str = Field(examples=["alice"])
    points_spent: int = Field(description="the campaign's price in points", examples=[300])
    points: int = Field(description="points you hold at the merchant afterwards", examples=[20])
    coupon: ExchangedCoupon


@app.post(
    "/v1/me/loyalty/coupons",
    summary="Exchange your points at a merchant for a coupon of one of its campaigns",
    responses=responses(PointsExchanged, 201, problems=[422]),
)
@tracer.capture_method
def post_exchange(body: ExchangeBody, key: IdempotencyKeyHeader) -> Response[str]:
    user = caller_id(app)
    idem = idempotency_key(app, body.model_dump())

    def offer() -> tuple[int, Instance]:
        return shop.exchanged_coupon(ledger(), body.merchant_id, body.campaign_id, user, clock.now())

    result = loyalty.exchange(ledger(), body.merchant_id, user, idem, offer)
    if not result.replayed:
        metrics.add_metric(name="PointsExchanged", unit=MetricUnit.Count, value=1)
    return entry_response(result, PointsExchanged)


@app.post(
    "/v1/merchants/<merchant_id>/loyalty/redemptions",
    summary="Spend a member's points at checkout (merchant staff)",
    responses=responses(PointsSpent, 201, problems=[403, 422]),
)
@tracer.capture_method
def post_spend(merchant_id: MerchantId, body: SpendBody, key: IdempotencyKeyHeader) -> Response[str]:
    actor = merchant_actor(app, merchant_id)
    idem = idempotency_key(app, body.model_dump())
    result = loyalty.spend(ledger(), merchant_id, body.user_id, body.points, body.order_id, actor.label, idem)
    if not result.replayed:
        metrics.add_metric(name="PointsSpent", unit=MetricUnit.Count, value=body.points)
    return entry_response(result, PointsSpent)


@app.get(
    "/v1/me/loyalty",
    summary="Your points, tier, next tier and expiring points per merchant",
    responses=responses(loyalty.LoyaltyView),
)
@tracer.capture_method
def get_loyalty() -> Response[str]:
    return json_response(200, loyalty.loyalty_view(ledger(), caller_id(app), clock.now()))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)

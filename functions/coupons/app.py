"""Coupons: redeem seeds for one unit of a coupon's finite stock; list coupons with their stock."""

from typing import Annotated, Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict

from reward_ledger.coupons import ID_PATTERN, coupons_view, redeem
from reward_ledger.edge.http import caller_id, entry_response, idempotency_key, json_response, make_resolver
from reward_ledger.runtime import ledger

logger = Logger()
metrics = Metrics()
tracer = Tracer()
app = make_resolver()


class RedemptionBody(BaseModel):
    model_config = ConfigDict(extra="forbid")


@app.post("/v1/coupons/<coupon_id>/redemptions", summary="Redeem seeds for one coupon")
@tracer.capture_method
def post_redemption(
    coupon_id: Annotated[str, Path(pattern=ID_PATTERN)], body: RedemptionBody
) -> Response[str]:
    user = caller_id(app)
    result = redeem(ledger(), user, coupon_id, idempotency_key(app, body.model_dump()))
    if not result.replayed:
        metrics.add_metric(name="CouponsRedeemed", unit=MetricUnit.Count, value=1)
    logger.info("coupon redeemed", extra={"entry_id": result.entry_id, "replayed": result.replayed})
    return entry_response(result)


@app.get("/v1/coupons", summary="Coupons with their price in seeds and remaining stock")
@tracer.capture_method
def get_coupons() -> Response[str]:
    caller_id(app)
    return json_response(200, {"coupons": coupons_view(ledger())})


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)

"""Merchants and their campaigns: operators create merchants; staff (or operators) run campaigns and
redeem coupons at checkout; users list active campaigns and the coupons they hold.

Roles are checked at the authorizer (the routes' ``AuthorizationScopes`` in template.yaml) and again
here (``reward_ledger.edge.roles``): staff act on the merchant of their ``merchant_id`` claim only.
"""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict, Field, StrictInt

from reward_ledger.campaigns import lifecycle, merchants, vouchers
from reward_ledger.campaigns.spec import ID_PATTERN, CampaignSpec
from reward_ledger.edge.http import caller_id, entry_response, idempotency_key, json_response, make_resolver
from reward_ledger.edge.roles import merchant_actor, operator
from reward_ledger.errors import ValidationFailed
from reward_ledger.observability import Logger, Metrics, MetricUnit, Tracer, correlation_paths
from reward_ledger.runtime import ledger

logger = Logger()
metrics = Metrics()
tracer = Tracer()
app = make_resolver()

MerchantId = Annotated[str, Path(pattern=ID_PATTERN)]
CampaignId = Annotated[str, Path(pattern=ID_PATTERN)]


class NewMerchant(BaseModel):
    model_config = ConfigDict(extra="forbid")

    merchant_id: str = Field(pattern=ID_PATTERN)
    name: str = Field(min_length=1, max_length=120)


class Activation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    budget: StrictInt = Field(ge=0, le=10**12, description="fen moved from prepaid into the budget")


class Empty(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Checkout(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=32)
    order_id: str = Field(min_length=1, max_length=128)
    order_amount: StrictInt = Field(ge=0, le=10**12)


class Rollback(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(default="", max_length=500)


@app.post("/v1/admin/merchants", summary="Register a merchant (operators)")
@tracer.capture_method
def post_merchant(body: Annotated[NewMerchant, Body()]) -> Response[str]:
    actor = operator(app)
    idem = idempotency_key(app, body.model_dump())
    return entry_response(merchants.create_merchant(ledger(), body.merchant_id, body.name, actor.label, idem))


@app.get("/v1/merchants/<merchant_id>", summary="A merchant, its prepaid money and its campaigns")
@tracer.capture_method
def get_merchant(merchant_id: MerchantId) -> Response[str]:
    merchant_actor(app, merchant_id)
    return json_response(200, merchants.merchant_view(ledger(), merchant_id))


@app.post("/v1/merchants/<merchant_id>/campaigns", summary="Create a campaign (a draft, version 1)")
@tracer.capture_method
def post_campaign(merchant_id: MerchantId, body: Annotated[CampaignSpec, Body()]) -> Response[str]:
    actor = merchant_actor(app, merchant_id)
    idem = idempotency_key(app, body.model_dump(mode="json"))
    return entry_response(lifecycle.create_campaign(ledger(), merchant_id, body, actor.label, idem))


@app.get("/v1/merchants/<merchant_id>/campaigns/<campaign_id>", summary="A campaign with its budget")
@tracer.capture_method
def get_campaign(merchant_id: MerchantId, campaign_id: CampaignId) -> Response[str]:
    merchant_actor(app, merchant_id)
    return json_response(200, lifecycle.campaign_view(ledger(), merchant_id, campaign_id))


@app.post("/v1/merchants/<merchant_id>/campaigns/<campaign_id>/versions", summary="Edit: a new version")
@tracer.capture_method
def post_version(
    merchant_id: MerchantId, campaign_id: CampaignId, body: Annotated[CampaignSpec, Body()]
) -> Response[str]:
    actor = merchant_actor(app, merchant_id)
    if body.campaign_id != campaign_id:
        raise ValidationFailed("body.campaign_id must be the campaign of the path")
    idem = idempotency_key(app, body.model_dump(mode="json"))
    return entry_response(lifecycle.new_version(ledger(), merchant_id, body, actor.label, idem))


@app.post("/v1/merchants/<merchant_id>/campaigns/<campaign_id>/activate", summary="Fund and start")
@tracer.capture_method
def post_activate(
    merchant_id: MerchantId, campaign_id: CampaignId, body: Annotated[Activation, Body()]
) -> Response[str]:
    actor = merchant_actor(app, merchant_id)
    idem = idempotency_key(app, body.model_dump())
    result = lifecycle.activate(ledger(), merchant_id, campaign_id, body.budget, actor.label, idem)
    return entry_response(result)


@app.post("/v1/merchants/<merchant_id>/campaigns/<campaign_id>/pause", summary="Stop paying awards")
@tracer.capture_method
def post_pause(
    merchant_id: MerchantId, campaign_id: CampaignId, body: Annotated[Empty, Body()]
) -> Response[str]:
    actor = merchant_actor(app, merchant_id)
    idem = idempotency_key(app, body.model_dump())
    return entry_response(lifecycle.pause(ledger(), merchant_id, campaign_id, actor.label, idem))


@app.post("/v1/merchants/<merchant_id>/campaigns/<campaign_id>/end", summary="End; the rest goes back")
@tracer.capture_method
def post_end(
    merchant_id: MerchantId, campaign_id: CampaignId, body: Annotated[Empty, Body()]
) -> Response[str]:
    actor = merchant_actor(app, merchant_id)
    idem = idempotency_key(app, body.model_dump())
    result = lifecycle.end(ledger(), merchant_id, campaign_id, actor.label, idem)
    if not result.replayed:
        metrics.add_metric("CampaignsEnded", MetricUnit.Count, 1)
    return entry_response(result)


@app.post("/v1/merchants/<merchant_id>/redemptions", summary="Redeem a coupon code at checkout")
@tracer.capture_method
def post_redemption(merchant_id: MerchantId, body: Annotated[Checkout, Body()]) -> Response[str]:
    actor = merchant_actor(app, merchant_id)
    idem = idempotency_key(app, body.model_dump())
    result = vouchers.redeem(
        ledger(), merchant_id, body.code, body.order_id, body.order_amount, actor.label, idem
    )
    if not result.replayed:
        metrics.add_metric("CouponsRedeemedAtCheckout", MetricUnit.Count, 1)
    return entry_response(result)


@app.post(
    "/v1/merchants/<merchant_id>/redemptions/<redemption_id>/rollback",
    summary="Undo a redemption once (the order was refunded)",
)
@tracer.capture_method
def post_rollback(
    merchant_id: MerchantId,
    redemption_id: Annotated[str, Path(pattern=r"^[a-z0-9]{1,64}$")],
    body: Annotated[Rollback, Body()],
) -> Response[str]:
    actor = merchant_actor(app, merchant_id)
    idem = idempotency_key(app, body.model_dump())
    result = vouchers.rollback(ledger(), merchant_id, redemption_id, body.reason, actor.label, idem)
    return entry_response(result)


@app.get("/v1/campaigns", summary="Active campaigns")
@tracer.capture_method
def get_campaigns() -> Response[str]:
    caller_id(app)
    return json_response(200, {"campaigns": lifecycle.public_campaigns()})


@app.get("/v1/me/coupons", summary="The coupons the caller holds")
@tracer.capture_method
def get_my_coupons() -> Response[str]:
    return json_response(200, {"coupons": vouchers.held_coupons(caller_id(app))})


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)

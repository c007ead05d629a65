"""Merchants and their campaigns: operators create merchants; staff (or operators) run campaigns and
redeem coupons at checkout; users list active campaigns and the coupons they hold.

Roles are checked at the authorizer (the routes' ``AuthorizationScopes`` in template.yaml) and again
here (``reward_ledger.edge.roles``): staff act on the merchant of their ``merchant_id`` claim only.
"""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import Field

from reward_ledger.campaigns import lifecycle, merchants, vouchers
from reward_ledger.campaigns import replies as r
from reward_ledger.campaigns.spec import ID_PATTERN, CampaignSpec
from reward_ledger.config import StrictModel
from reward_ledger.edge.http import caller_id, entry_response, idempotency_key, json_response, make_resolver
from reward_ledger.edge.openapi import IdempotencyKeyHeader, WholeInt, link, responses
from reward_ledger.edge.roles import merchant_actor, operator
from reward_ledger.errors import ValidationFailed
from reward_ledger.observability import Logger, Metrics, MetricUnit, Tracer, correlation_paths
from reward_ledger.runtime import ledger

logger = Logger()
metrics = Metrics()
tracer = Tracer()
app = make_resolver()

MerchantId = Annotated[str, Path(pattern=ID_PATTERN, description="the merchant (staff: their own only)")]
CampaignId = Annotated[str, Path(pattern=ID_PATTERN)]
MAX_AMOUNT = 10**12
# what a merchant route refuses beyond every route's 400/401: another merchant's token, an unknown id
STAFF = (403, 404)
# the answer's own fields name the next operations (schemathesis' stateful phase follows them)
CAMPAIGN_LINKS = {
    "getCampaign": link(
        "get_campaign_v1_merchants__merchant_id__campaigns__campaign_id__get",
        merchant_id="$request.path.merchant_id",
        campaign_id="$response.body#/campaign_id",
    )
}


class NewMerchant(StrictModel):
    merchant_id: str = Field(pattern=ID_PATTERN, examples=["m1"])
    name: str = Field(min_length=1, max_length=120, examples=["Corner coffee"])


class Activation(StrictModel):
    budget: WholeInt = Field(
        ge=0, le=MAX_AMOUNT, description="fen moved from prepaid into the budget", examples=[50000]
    )


class Empty(StrictModel):
    pass


class Checkout(StrictModel):
    code: str = Field(min_length=1, max_length=32, description="the code the user shows at the till")
    order_id: str = Field(min_length=1, max_length=128, examples=["order-1"])
    order_amount: WholeInt = Field(ge=0, le=MAX_AMOUNT, description="fen the order costs", examples=[3000])


class Rollback(StrictModel):
    reason: str = Field(default="", max_length=500, examples=["order refunded"])


@app.post(
    "/v1/admin/merchants",
    summary="Register a merchant (operators)",
    responses=responses(
        r.MerchantCreated,
        201,
        problems=[403],
        links={
            "getMerchant": link(
                "get_merchant_v1_merchants__merchant_id__get", merchant_id="$response.body#/merchant_id"
            )
        },
    ),
)
@tracer.capture_method
def post_merchant(body: Annotated[NewMerchant, Body()], key: IdempotencyKeyHeader) -> Response[str]:
    actor = operator(app)
    idem = idempotency_key(app, body.model_dump())
    result = merchants.create_merchant(ledger(), body.merchant_id, body.name, actor.label, idem)
    return entry_response(result, r.MerchantCreated)


@app.get(
    "/v1/merchants/<merchant_id>",
    summary="A merchant, its prepaid money and its campaigns",
    responses=responses(r.MerchantView, problems=STAFF),
)
@tracer.capture_method
def get_merchant(merchant_id: MerchantId) -> Response[str]:
    merchant_actor(app, merchant_id)
    return json_response(200, merchants.merchant_view(ledger(), merchant_id))


@app.post(
    "/v1/merchants/<merchant_id>/campaigns",
    summary="Create a campaign (a draft, version 1)",
    responses=responses(r.CampaignVersioned, 201, problems=STAFF, links=CAMPAIGN_LINKS),
)
@tracer.capture_method
def post_campaign(
    merchant_id: MerchantId, body: Annotated[CampaignSpec, Body()], key: IdempotencyKeyHeader
) -> Response[str]:
    actor = merchant_actor(app, merchant_id)
    idem = idempotency_key(app, body.model_dump(mode="json"))
    result = lifecycle.create_campaign(ledger(), merchant_id, body, actor.label, idem)
    return entry_response(result, r.CampaignVersioned)


@app.get(
    "/v1/merchants/<merchant_id>/campaigns/<campaign_id>",
    summary="A campaign with its budget",
    responses=responses(r.CampaignView, problems=STAFF),
)
@tracer.capture_method
def get_campaign(merchant_id: MerchantId, campaign_id: CampaignId) -> Response[str]:
    merchant_actor(app, merchant_id)
    return json_response(200, lifecycle.campaign_view(ledger(), merchant_id, campaign_id))


@app.post(
    "/v1/merchants/<merchant_id>/campaigns/<campaign_id>/versions",
    summary="Edit: a new version",
    responses=responses(r.CampaignVersioned, 201, problems=STAFF),
)
@tracer.capture_method
def post_version(
    merchant_id: MerchantId,
    campaign_id: CampaignId,
    body: Annotated[CampaignSpec, Body()],
    key: IdempotencyKeyHeader,
) -> Response[str]:
    actor = merchant_actor(app, merchant_id)
    if body.campaign_id != campaign_id:
        raise ValidationFailed("body.campaign_id must be the campaign of the path")
    idem = idempotency_key(app, body.model_dump(mode="json"))
    result = lifecycle.new_version(ledger(), merchant_id, body, actor.label, idem)
    return entry_response(result, r.CampaignVersioned)


@app.post(
    "/v1/merchants/<merchant_id>/campaigns/<campaign_id>/activate",
    summary="Fund and start",
    responses=responses(r.CampaignActivated, 201, problems=[*STAFF, 422]),
)
@tracer.capture_method
def post_activate(
    merchant_id: MerchantId,
    campaign_id: CampaignId,
    body: Annotated[Activation, Body()],
    key: IdempotencyKeyHeader,
) -> Response[str]:
    actor = merchant_actor(app, merchant_id)
    idem = idempotency_key(app, body.model_dump())
    result = lifecycle.activate(ledger(), merchant_id, campaign_id, body.budget, actor.label, idem)
    return entry_response(result, r.CampaignActivated)


@app.post(
    "/v1/merchants/<merchant_id>/campaigns/<campaign_id>/pause",
    summary="Stop paying awards",
    responses=responses(r.CampaignPaused, 201, problems=STAFF),
)
@tracer.capture_method
def post_pause(
    merchant_id: MerchantId,
    campaign_id: CampaignId,
    body: Annotated[Empty, Body()],
    key: IdempotencyKeyHeader,
) -> Response[str]:
    actor = merchant_actor(app, merchant_id)
    idem = idempotency_key(app, body.model_dump())
    result = lifecycle.pause(ledger(), merchant_id, campaign_id, actor.label, idem)
    return entry_response(result, r.CampaignPaused)


@app.post(
    "/v1/merchants/<merchant_id>/campaigns/<campaign_id>/end",
    summary="End; the rest goes back",
    responses=responses(r.CampaignEnded, 201, problems=STAFF),
)
@tracer.capture_method
def post_end(
    merchant_id: MerchantId,
    campaign_id: CampaignId,
    body: Annotated[Empty, Body()],
    key: IdempotencyKeyHeader,
) -> Response[str]:
    actor = merchant_actor(app, merchant_id)
    idem = idempotency_key(app, body.model_dump())
    result = lifecycle.end(ledger(), merchant_id, campaign_id, actor.label, idem)
    if not result.replayed:
        metrics.add_metric("CampaignsEnded", MetricUnit.Count, 1)
    return entry_response(result, r.CampaignEnded)


@app.post(
    "/v1/merchants/<merchant_id>/redemptions",
    summary="Redeem a coupon code at checkout",
    responses=responses(
        r.CheckoutRedemption,
        201,
        problems=[*STAFF, 422],
        links={
            "rollBack": link(
                "post_rollback_v1_merchants__merchant_id__redemptions__redemption_id__rollback_post",
                merchant_id="$request.path.merchant_id",
                redemption_id="$response.body#/redemption_id",
            )
        },
    ),
)
@tracer.capture_method
def post_redemption(
    merchant_id: MerchantId, body: Annotated[Checkout, Body()], key: IdempotencyKeyHeader
) -> Response[str]:
    actor = merchant_actor(app, merchant_id)
    idem = idempotency_key(app, body.model_dump())
    result = vouchers.redeem(
        ledger(), merchant_id, body.code, body.order_id, body.order_amount, actor.label, idem
    )
    if not result.replayed:
        metrics.add_metric("CouponsRedeemedAtCheckout", MetricUnit.Count, 1)
    return entry_response(result, r.CheckoutRedemption)


@app.post(
    "/v1/merchants/<merchant_id>/redemptions/<redemption_id>/rollback",
    summary="Undo a redemption once (the order was refunded)",
    responses=responses(r.RolledBack, 201, problems=STAFF),
)
@tracer.capture_method
def post_rollback(
    merchant_id: MerchantId,
    redemption_id: Annotated[str, Path(pattern=r"^[a-z0-9]{1,64}$")],
    body: Annotated[Rollback, Body()],
    key: IdempotencyKeyHeader,
) -> Response[str]:
    actor = merchant_actor(app, merchant_id)
    idem = idempotency_key(app, body.model_dump())
    result = vouchers.rollback(ledger(), merchant_id, redemption_id, body.reason, actor.label, idem)
    return entry_response(result, r.RolledBack)


@app.get("/v1/campaigns", summary="Active campaigns", responses=responses(r.PublicCampaigns))
@tracer.capture_method
def get_campaigns() -> Response[str]:
    caller_id(app)
    return json_response(200, lifecycle.public_campaigns())


@app.get("/v1/me/coupons", summary="The coupons the caller holds", responses=responses(r.HeldCoupons))
@tracer.capture_method
def get_my_coupons() -> Response[str]:
    return json_response(200, vouchers.held_coupons(caller_id(app)))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)

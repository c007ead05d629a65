"""Gift cards: users buy a merchant's card from their wallet, list their cards and give one to a friend
once; merchant staff capture from a card at checkout."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import Field

from reward_ledger import giftcards
from reward_ledger.challenges.opening import ID_PATTERN
from reward_ledger.config import StrictModel
from reward_ledger.edge.http import caller_id, entry_response, idempotency_key, json_response, make_resolver
from reward_ledger.edge.openapi import IdempotencyKeyHeader, Reply, WholeInt, link, responses
from reward_ledger.edge.roles import merchant_actor
from reward_ledger.observability import Logger, Metrics, MetricUnit, Tracer, correlation_paths
from reward_ledger.runtime import ledger
from reward_ledger.users import USER_ID_PATTERN

logger = Logger()
metrics = Metrics()
tracer = Tracer()
app = make_resolver()

CARD_PATTERN = r"^gc[a-z0-9]{18}$"
MerchantId = Annotated[str, Path(pattern=ID_PATTERN, description="the merchant's id")]
CardId = Annotated[str, Path(pattern=CARD_PATTERN, description="the card's id")]


class BuyBody(StrictModel):
    amount: WholeInt = Field(
        ge=giftcards.settings().min_amount,
        le=giftcards.settings().max_amount,
        description="fen moved from the wallet onto the card",
        examples=[3000],
    )


class Card(Reply):
    """A card and the value it holds for its merchant (value never expires)."""

    card_id: str = Field(examples=["gcabcdefghijklmnopqr"])
    merchant_id: str = Field(examples=["m1"])
    balance: int = Field(description="fen left on the card", examples=[3000])


class Cards(Reply):
    """The caller's gift cards, oldest first."""

    cards: list[Card]


class CaptureBody(StrictModel):
    amount: WholeInt = Field(
        ge=1, le=giftcards.settings().max_amount, description="fen taken", examples=[1000]
    )
    order_id: str = Field(min_length=1, max_length=128, examples=["o-1"])


class Captured(Reply):
    """Taken from the card at checkout."""

    card_id: str = Field(examples=["gcabcdefghijklmnopqr"])
    captured: int = Field(description="fen taken", examples=[1000])
    balance: int = Field(description="fen left on the card", examples=[2000])


class GiveBody(StrictModel):
    friend_id: str = Field(pattern=USER_ID_PATTERN, description="a mutual friend", examples=["bob"])


class Given(Reply):
    """The card is the friend's now (a card is given once)."""

    card_id: str = Field(examples=["gcabcdefghijklmnopqr"])
    owner: str = Field(examples=["bob"])


@app.post(
    "/v1/merchants/<merchant_id>/gift-cards",
    summary="Buy a merchant's gift card from your wallet",
    responses=responses(
        Card,
        201,
        problems=[404, 422],
        links={
            "give": link("post_give_v1_me_gift_cards__card_id__gift_post", card_id="$response.body#/card_id")
        },
    ),
)
@tracer.capture_method
def post_card(merchant_id: MerchantId, body: BuyBody, key: IdempotencyKeyHeader) -> Response[str]:
    user = caller_id(app)
    result = giftcards.buy(ledger(), user, merchant_id, body.amount, idempotency_key(app, body.model_dump()))
    if not result.replayed:
        metrics.add_metric(name="GiftCardsSold", unit=MetricUnit.Count, value=1)
    return entry_response(result, Card)


@app.post(
    "/v1/merchants/<merchant_id>/gift-cards/<card_id>/captures",
    summary="Capture from a gift card at checkout (merchant staff)",
    responses=responses(Captured, 201, problems=[403, 404, 422]),
)
@tracer.capture_method
def post_capture(
    merchant_id: MerchantId, card_id: CardId, body: CaptureBody, key: IdempotencyKeyHeader
) -> Response[str]:
    actor = merchant_actor(app, merchant_id)
    idem = idempotency_key(app, body.model_dump())
    result = giftcards.capture(ledger(), merchant_id, card_id, body.amount, body.order_id, actor.label, idem)
    return entry_response(result, Captured)


@app.post(
    "/v1/me/gift-cards/<card_id>/gift",
    summary="Give your gift card to a mutual friend (once)",
    responses=responses(Given, 201, problems=[403, 404]),
)
@tracer.capture_method
def post_give(card_id: CardId, body: GiveBody, key: IdempotencyKeyHeader) -> Response[str]:
    user = caller_id(app)
    result = giftcards.give(ledger(), user, card_id, body.friend_id, idempotency_key(app, body.model_dump()))
    return entry_response(result, Given)


@app.get("/v1/me/gift-cards", summary="Your gift cards and their balances", responses=responses(Cards))
@tracer.capture_method
def get_cards() -> Response[str]:
    return json_response(200, Cards(cards=[Card(**c) for c in giftcards.my_cards(ledger(), caller_id(app))]))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)

"""payment.completed for the merchant programs (EventBridge): loyalty points and challenge check-ins at
the merchant paid, and the invitee's first qualifying payment (any payment) for the inviter's reward.

Each program's step is its own idempotent entry keyed by the payment id, so a redelivered event (or a
retry after one step failed) replays what committed and does the rest. A payment that earns nothing
is an outcome, not an error; a malformed event fails (retried, then the DLQ).
"""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict, Field, StrictInt

from reward_ledger import challenges, clock, invites, loyalty
from reward_ledger.campaigns.spec import ID_PATTERN
from reward_ledger.edge.events import parse_detail
from reward_ledger.observability import Logger, Metrics, MetricUnit, Tracer
from reward_ledger.runtime import ledger
from reward_ledger.users import USER_ID_PATTERN

logger = Logger()
metrics = Metrics()
tracer = Tracer()


class ProgramPayment(BaseModel):
    """What the programs read of ``payment.completed`` (source ``payments``)."""

    model_config = ConfigDict(extra="ignore")

    payment_id: str = Field(min_length=1, max_length=128)
    user_id: str = Field(pattern=USER_ID_PATTERN)
    amount: StrictInt = Field(ge=0, le=10**12)
    merchant_id: str | None = Field(default=None, pattern=ID_PATTERN)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    _, payment = parse_detail(event, ProgramPayment)
    logger.append_keys(payment_id=payment.payment_id, merchant_id=payment.merchant_id)
    now = clock.now()
    outcome: dict[str, Any] = {}
    if payment.merchant_id is not None:
        earned = loyalty.earn(
            ledger(), payment.user_id, payment.merchant_id, payment.amount, payment.payment_id, now
        )
        outcome["points"] = (earned.response or {}).get("points", 0) if earned else 0
        if earned is not None and not earned.replayed:
            metrics.add_metric(name="PointsEarned", unit=MetricUnit.Count, value=int(outcome["points"]))
        checkins = challenges.check_in_by_payment(
            ledger(), payment.user_id, payment.merchant_id, payment.amount, now
        )
        outcome["checkins"] = checkins
    qualified = invites.qualify(ledger(), payment.user_id, payment.amount, payment.payment_id, now)
    if qualified is not None:
        outcome["invite"] = qualified
    logger.info("payment applied to the programs", extra=outcome)
    return outcome

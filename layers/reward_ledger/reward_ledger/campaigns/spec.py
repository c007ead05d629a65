"""A campaign as data: trigger, effect, limits and time window, validated by pydantic.

The HTTP edge validates the body with these models, so a bad spec is a 400 whose detail names the field
(``body.effect.amount: ...``). The same models read the stored spec back (``CampaignSpec.model_validate``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, model_validator

from reward_ledger.config import StrictModel, WholeInt

ID_PATTERN = r"^[a-z0-9][a-z0-9-]{0,63}$"
CATEGORY_PATTERN = r"^[a-z][a-z0-9_-]{0,31}$"
#: the most one award may pay (fen) and the longest a coupon may stay valid: typos, not business rules
MAX_EFFECT_AMOUNT = 1_000_000
MAX_COUPON_DAYS = 366
MAX_LIMIT = 1_000_000


class _Spec(StrictModel):
    """Strict (unknown fields refused) and frozen, as every request model."""


class PaymentTrigger(_Spec):
    """A payment at the campaign's merchant (``payment.completed`` carrying ``merchant_id``)."""

    event: Literal["payment.completed"]
    min_amount: WholeInt | None = Field(default=None, ge=1, le=10**12)
    category: str | None = Field(default=None, pattern=CATEGORY_PATTERN)


class GameTrigger(_Spec):
    """A credited game result (level: the session was opened for it)."""

    event: Literal["game.result"]
    game_id: str = Field(pattern=ID_PATTERN)
    level: WholeInt | None = Field(default=None, ge=1, le=1000)
    min_score: WholeInt | None = Field(default=None, ge=0)


class StoryChoiceTrigger(_Spec):
    """A sponsored savings choice: the brand's product offered in a story chapter."""

    event: Literal["story.choice"]
    story_id: str = Field(pattern=ID_PATTERN)
    choice_id: str = Field(pattern=ID_PATTERN)


class ChallengeTrigger(_Spec):
    event: Literal["challenge.completed"]
    challenge_id: str = Field(pattern=ID_PATTERN)


class SeedsPurchaseTrigger(_Spec):
    """A coupon of the seeds shop (``data/coupons.toml`` names this campaign): each purchase issues the
    campaign's coupon, its value reserved from this budget. No event evaluates it."""

    event: Literal["seeds.purchase"]
    coupon_id: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")


class PointsExchangeTrigger(_Spec):
    """A coupon members buy with the merchant's loyalty points (``POST .../loyalty/coupons``): each
    exchange takes ``points`` (oldest lots first) and issues the campaign's coupon, its value reserved
    from this budget. No event evaluates it."""

    event: Literal["points.exchange"]
    points: WholeInt = Field(ge=1, le=10**9, description="the coupon's price in points")


class InviteTrigger(_Spec):
    """An invitee's first qualifying payment (a platform campaign paying the inviter)."""

    event: Literal["invite.qualified"]


Trigger = Annotated[
    PaymentTrigger
    | GameTrigger
    | StoryChoiceTrigger
    | ChallengeTrigger
    | SeedsPurchaseTrigger
    | PointsExchangeTrigger
    | InviteTrigger,
    Field(discriminator="event"),
]


class CashEffect(_Spec):
    kind: Literal["cash"]
    amount: WholeInt = Field(ge=1, le=MAX_EFFECT_AMOUNT)


class PurseEffect(_Spec):
    kind: Literal["purse"]
    amount: WholeInt = Field(ge=1, le=MAX_EFFECT_AMOUNT)


class PointsEffect(_Spec):
    """Points of the merchant's loyalty program (issued by the program, not paid from the budget); a
    campaign paying points can be activated only once the merchant runs a program."""

    kind: Literal["points"]
    amount: WholeInt = Field(ge=1, le=MAX_EFFECT_AMOUNT)


class CouponTerms(_Spec):
    title: str = Field(min_length=1, max_length=120)
    value: WholeInt = Field(ge=1, le=MAX_EFFECT_AMOUNT)
    min_spend: WholeInt = Field(default=0, ge=0, le=10**12)
    valid_days: WholeInt = Field(ge=1, le=MAX_COUPON_DAYS)


class CouponEffect(_Spec):
    kind: Literal["coupon"]
    coupon: CouponTerms


Effect = Annotated[CashEffect | PurseEffect | PointsEffect | CouponEffect, Field(discriminator="kind")]


class Limits(_Spec):
    per_user_per_day: WholeInt | None = Field(default=None, ge=1, le=MAX_LIMIT)
    per_user: WholeInt | None = Field(default=None, ge=1, le=MAX_LIMIT)
    max_awards: WholeInt | None = Field(default=None, ge=1, le=MAX_LIMIT)


class Audience(_Spec):
    """Who may be awarded: the user's loyalty tier at the campaign's merchant is one of ``tiers``."""

    tiers: list[str] = Field(min_length=1, max_length=8)


class CampaignSpec(_Spec):
    campaign_id: str = Field(pattern=ID_PATTERN)
    name: str = Field(min_length=1, max_length=120)
    trigger: Trigger
    effect: Effect
    limits: Limits = Limits()
    audience: Audience | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None

    @model_validator(mode="after")
    def _window(self) -> CampaignSpec:
        for name in ("starts_at", "ends_at"):
            value = getattr(self, name)
            if value is not None and value.tzinfo is None:
                raise ValueError(f"{name} needs a time zone (for example a trailing Z)")
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        if isinstance(self.trigger, PointsExchangeTrigger) and not isinstance(self.effect, CouponEffect):
            raise ValueError("a points.exchange campaign sells a coupon: its effect must be a coupon")
        return self

    def effect_value(self) -> int:
        """What one award takes from the budget (fen; a points award takes none)."""
        if isinstance(self.effect, CouponEffect):
            return self.effect.coupon.value
        if isinstance(self.effect, PointsEffect):
            return 0
        return self.effect.amount

    def runs_at(self, instant: datetime) -> bool:
        return (self.starts_at is None or self.starts_at <= instant) and (
            self.ends_at is None or instant < self.ends_at
        )

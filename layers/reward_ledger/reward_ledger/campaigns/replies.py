"""What the merchant, campaign and coupon routes answer: typed replies, the source of their schemas.

The read views (``merchant_view``, ``campaign_view``, ``public_campaigns``, ``held_coupons``) return
these; the entries' first answers (``response=`` of each lifecycle step) are checked against them at the
edge, so a field the code adds but the model lacks fails loudly instead of reaching clients undocumented.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from reward_ledger.campaigns.spec import Audience, Effect, Limits, Trigger
from reward_ledger.replies import Reply

CampaignStatus = Literal["draft", "active", "paused", "ended"]
FEN = "fen (CNY minor units)"


class MerchantCreated(Reply):
    """The merchant exists; its staff's tokens name it in their ``merchant_id`` claim."""

    merchant_id: str = Field(examples=["m1"])
    name: str = Field(examples=["Corner coffee"])


class CampaignSummary(Reply):
    campaign_id: str = Field(examples=["spring-coffee"])
    status: CampaignStatus
    budget_remaining: int = Field(description=f"{FEN} left in the campaign's budget", examples=[50000])


class MerchantView(Reply):
    """A merchant, its money and its campaigns with their remaining budgets."""

    merchant_id: str = Field(examples=["m1"])
    name: str = Field(examples=["Corner coffee"])
    prepaid: int = Field(description=f"{FEN} funded and not yet given to a campaign", examples=[100000])
    settled: int = Field(description=f"{FEN} of coupons redeemed at its checkout", examples=[0])
    reserved: int = Field(description=f"{FEN} of issued coupons not yet redeemed or expired", examples=[0])
    campaigns: list[CampaignSummary]


class CampaignVersioned(Reply):
    """The campaign's current state and version (a draft is version 1; an edit adds one)."""

    campaign_id: str = Field(examples=["spring-coffee"])
    status: CampaignStatus
    version: int = Field(ge=1, examples=[1])


class CampaignActivated(Reply):
    """Funded from prepaid and running."""

    campaign_id: str = Field(examples=["spring-coffee"])
    status: Literal["active"]
    budget_remaining: int = Field(description=f"{FEN} in the budget", examples=[50000])


class CampaignPaused(Reply):
    """No awards are paid until it is activated again."""

    campaign_id: str = Field(examples=["spring-coffee"])
    status: Literal["paused"]


class CampaignEnded(Reply):
    """Over: the unspent budget went back to prepaid, once."""

    campaign_id: str = Field(examples=["spring-coffee"])
    status: Literal["ended"]
    returned: int = Field(description=f"{FEN} moved back to prepaid", examples=[42000])


class CampaignView(Reply):
    """A campaign's current version with its status and money."""

    campaign_id: str = Field(examples=["spring-coffee"])
    merchant_id: str = Field(examples=["m1"])
    name: str = Field(examples=["Spring coffee"])
    trigger: Trigger
    effect: Effect
    limits: Limits
    audience: Audience | None = Field(
        default=None, description="loyalty tiers the campaign is for; null: everyone"
    )
    starts_at: str | None = Field(description="ISO-8601 start; null: from activation")
    ends_at: str | None = Field(description="ISO-8601 end; null: until ended")
    status: CampaignStatus
    version: int = Field(ge=1, examples=[2])
    budget_remaining: int = Field(description=f"{FEN} left in the budget", examples=[50000])
    awards: int = Field(description=f"{FEN} paid out by the campaign so far", examples=[800])


class PublicCampaign(Reply):
    campaign_id: str = Field(examples=["spring-coffee"])
    merchant_id: str = Field(examples=["m1"])
    name: str = Field(examples=["Spring coffee"])
    trigger: Trigger
    effect: Effect
    ends_at: str | None = Field(description="ISO-8601 end; null: until ended")


class PublicCampaigns(Reply):
    """The campaigns running now."""

    campaigns: list[PublicCampaign]


class CheckoutRedemption(Reply):
    """The coupon was used at checkout: its value settles to the merchant."""

    redemption_id: str = Field(description="pass to the rollback when the order is refunded")
    coupon_id: str = Field(examples=["c7q2m4x9a1b3c5d7"])
    discount: int = Field(description=f"{FEN} off the order", examples=[500])


class RolledBack(Reply):
    """The redemption was undone: the coupon is usable again."""

    coupon_id: str = Field(examples=["c7q2m4x9a1b3c5d7"])
    status: Literal["issued"]


class HeldCouponView(Reply):
    coupon_id: str = Field(examples=["c7q2m4x9a1b3c5d7"])
    code: str = Field(description="shown at the till", examples=["ABCDEFGHJKLM-500"])
    merchant_id: str = Field(examples=["m1"])
    title: str = Field(examples=["5 yuan off"])
    value: int = Field(description=f"{FEN} off an order", examples=[500])
    min_spend: int = Field(description=f"{FEN} an order must reach", examples=[2000])
    status: Literal["issued", "redeemed", "expired"]
    expires_at: str = Field(description="ISO-8601 UTC end of validity")


class HeldCoupons(Reply):
    """Your coupons, newest first."""

    coupons: list[HeldCouponView]

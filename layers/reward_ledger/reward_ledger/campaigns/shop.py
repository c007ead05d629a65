"""Coupons bought with seeds (trigger ``seeds.purchase``) or loyalty points (``points.exchange``) are
coupon instances of a merchant's campaign.

The seeds shop (``reward_ledger.coupons``) sells a catalog coupon for seeds and a unit of its stock; what
the buyer holds is an instance of the merchant's coupon, issued exactly as a campaign award issues one
(``vouchers.issue``: a code, the merchant, value, minimum spend, expiry, the value reserved from the
campaign's budget in the same transaction), so redeeming at checkout, rolling back and expiring work
the same way. The terms are the campaign's current version, read from the active registry (one
GetItem): a paused or ended campaign sells nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from reward_ledger import clock, points
from reward_ledger.campaigns import accounts, vouchers
from reward_ledger.campaigns.lifecycle import spec_of
from reward_ledger.campaigns.models import ACTIVE_PK, ActiveCampaign
from reward_ledger.campaigns.spec import (
    CampaignSpec,
    CouponEffect,
    PointsExchangeTrigger,
    SeedsPurchaseTrigger,
)
from reward_ledger.coupon_instance import Instance
from reward_ledger.errors import CampaignNotActive, OutOfStock, OutsideAudience
from reward_ledger.ledger import Ledger

PURCHASE_TRIGGER = "seeds.purchase"


def bought_coupon(
    merchant_id: str, campaign_id: str, coupon_id: str, user_id: str, now: datetime
) -> Instance:
    """The coupon instance one purchase of catalog coupon ``coupon_id`` issues to ``user_id``."""
    try:
        row = ActiveCampaign.get(ACTIVE_PK, f"{merchant_id}#{campaign_id}", consistent_read=True)
    except ActiveCampaign.DoesNotExist:
        raise OutOfStock(f"coupon {coupon_id} is not on sale", coupon_id=coupon_id) from None
    spec = spec_of(row)
    selling = isinstance(spec.trigger, SeedsPurchaseTrigger) and spec.trigger.coupon_id == coupon_id
    if not selling or not isinstance(spec.effect, CouponEffect) or not spec.runs_at(now):
        raise OutOfStock(f"coupon {coupon_id} is not on sale", coupon_id=coupon_id)
    return _instance(row, spec.effect, user_id, now)


def _instance(row: ActiveCampaign, effect: CouponEffect, user_id: str, now: datetime) -> Instance:
    merchant_id, campaign_id = str(row.merchant_id), str(row.campaign_id)
    leg, guards, view = vouchers.issue(
        merchant_id, campaign_id, int(row.version), user_id, effect.coupon, now
    )
    view["expires_at"] = clock.iso(now + timedelta(days=effect.coupon.valid_days))
    return Instance(legs=[leg], guards=guards, view=view, funded_by=accounts.budget(campaign_id))


def exchanged_coupon(
    ledger: Ledger, merchant_id: str, campaign_id: str, user_id: str, now: datetime
) -> tuple[int, Instance]:
    """The price in points and the coupon instance one exchange of ``campaign_id``'s coupon issues;
    422 ``campaign-not-active`` unless the merchant's campaign runs now and sells its coupon for points,
    422 ``outside-audience`` when the campaign is for some tiers only and the member is in none (the
    same gate an award applies: points do not buy past a tier)."""
    try:
        row = ActiveCampaign.get(ACTIVE_PK, f"{merchant_id}#{campaign_id}", consistent_read=True)
    except ActiveCampaign.DoesNotExist:
        raise CampaignNotActive(f"campaign {campaign_id!r} of {merchant_id!r} is not active") from None
    spec: CampaignSpec = spec_of(row)
    trigger, effect = spec.trigger, spec.effect
    if not isinstance(trigger, PointsExchangeTrigger) or not isinstance(effect, CouponEffect):
        raise CampaignNotActive(f"campaign {campaign_id!r} sells no coupon for points")
    if not spec.runs_at(now):
        raise CampaignNotActive(f"campaign {campaign_id!r} does not run now")
    tiers = spec.audience.tiers if spec.audience else None
    if tiers and points.user_tier(ledger, merchant_id, user_id, now) not in tiers:
        raise OutsideAudience(f"campaign {campaign_id!r} is for the tiers {sorted(tiers)} only")
    return trigger.points, _instance(row, effect, user_id, now)

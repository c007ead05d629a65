"""Coupons bought with seeds are coupon instances of a merchant's campaign (trigger ``seeds.purchase``).

The seeds shop (``reward_ledger.coupons``) sells a catalog coupon for seeds and a unit of its stock; what
the buyer holds is an instance of the merchant's coupon, issued exactly as a campaign award issues one
(``vouchers.issue``: a code, the merchant, value, minimum spend, expiry, the value reserved from the
campaign's budget in the same transaction), so redeeming at checkout, rolling back and expiring work
the same way. The terms are the campaign's current version, read from the active registry (one
GetItem): a paused or ended campaign sells nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from reward_ledger import clock
from reward_ledger.campaigns import accounts, vouchers
from reward_ledger.campaigns.lifecycle import spec_of
from reward_ledger.campaigns.models import ACTIVE_PK, ActiveCampaign
from reward_ledger.campaigns.spec import CouponEffect, SeedsPurchaseTrigger
from reward_ledger.coupons import Instance
from reward_ledger.errors import OutOfStock

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
    leg, guards, view = vouchers.issue(
        merchant_id, campaign_id, int(row.version), user_id, spec.effect.coupon, now
    )
    view["expires_at"] = clock.iso(now + timedelta(days=spec.effect.coupon.valid_days))
    return Instance(legs=[leg], guards=guards, view=view, funded_by=accounts.budget(campaign_id))

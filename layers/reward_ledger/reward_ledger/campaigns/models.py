"""Merchant, campaign and coupon state in the ledger table (written only as guards of ledger entries).

* merchant          ``pk=MERCHANT#<m>``   ``sk=MERCHANT``        name
* campaign listing  ``pk=MERCHANT#<m>``   ``sk=CAMPAIGN#<c>``    (GET /v1/merchants/{m} lists these)
* campaign          ``pk=CAMPAIGN#<c>``   ``sk=CAMPAIGN``        status, version, spec; ids are global
* campaign version  ``pk=CAMPAIGN#<c>``   ``sk=V#<000001>``      the spec of each version, kept for audit
* active registry   ``pk=ACTIVE``         ``sk=<m>#<c>``         what triggers are evaluated against
* limit counter     ``pk=CLIM#<c>#<user>`` ``sk=TOTAL`` or ``DAY#<local day>``
* coupon            ``pk=COUPON#<code>``  ``sk=COUPON``          the instance a user holds (expiry index)
* held coupon       ``pk=UCOUPON#<user>`` ``sk=<issued_at>#<code>``  the user's list
"""

from __future__ import annotations

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from reward_ledger.ledger.models import LedgerTableMeta
from reward_ledger.ledger.table import LedgerModel

ACTIVE_PK = "ACTIVE"

# declared in reward_ledger.wiring (PRODUCT.models): MODELS lists them once for it


class MerchantItem(LedgerModel):
    class Meta(LedgerTableMeta):
        pass

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default="MERCHANT")
    merchant_id = UnicodeAttribute()
    name = UnicodeAttribute()
    created_at = UnicodeAttribute()
    created_by = UnicodeAttribute()


class CampaignListing(LedgerModel):
    class Meta(LedgerTableMeta):
        pass

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    campaign_id = UnicodeAttribute()


class CampaignItem(LedgerModel):
    """The campaign: ``status`` draft -> active <-> paused -> ended; ``credits`` counts budget top-ups
    after activation (coupon expiries), so that ending can prove it read the final budget."""

    class Meta(LedgerTableMeta):
        pass

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default="CAMPAIGN")
    campaign_id = UnicodeAttribute()
    merchant_id = UnicodeAttribute()
    status = UnicodeAttribute()
    version = NumberAttribute()
    spec = JSONAttribute()
    activated = NumberAttribute(default=0)
    credits = NumberAttribute(default=0)
    returned = NumberAttribute(null=True)
    updated_at = UnicodeAttribute()


class CampaignVersion(LedgerModel):
    class Meta(LedgerTableMeta):
        pass

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    version = NumberAttribute()
    spec = JSONAttribute()
    created_at = UnicodeAttribute()
    created_by = UnicodeAttribute()


class ActiveCampaign(LedgerModel):
    class Meta(LedgerTableMeta):
        pass

    pk = UnicodeAttribute(hash_key=True, default=ACTIVE_PK)
    sk = UnicodeAttribute(range_key=True)
    campaign_id = UnicodeAttribute()
    merchant_id = UnicodeAttribute()
    version = NumberAttribute()
    spec = JSONAttribute()


class LimitCounter(LedgerModel):
    class Meta(LedgerTableMeta):
        pass

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    used = NumberAttribute(default=0)
    ttl = NumberAttribute(null=True)


class CouponItem(LedgerModel):
    """A coupon instance. ``status``: issued -> redeemed (-> issued on rollback) or issued -> expired."""

    class Meta(LedgerTableMeta):
        pass

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default="COUPON")
    coupon_id = UnicodeAttribute()
    code = UnicodeAttribute()
    user_id = UnicodeAttribute()
    merchant_id = UnicodeAttribute()
    campaign_id = UnicodeAttribute()
    version = NumberAttribute()
    title = UnicodeAttribute()
    value = NumberAttribute()
    min_spend = NumberAttribute()
    status = UnicodeAttribute()
    valid_until = UnicodeAttribute()
    issued_at = UnicodeAttribute()
    redeemed_by = UnicodeAttribute(null=True)
    exp_bucket = UnicodeAttribute(null=True)
    expires_at = UnicodeAttribute(null=True)
    exp_kind = UnicodeAttribute(null=True)


class HeldCoupon(LedgerModel):
    class Meta(LedgerTableMeta):
        pass

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    code = UnicodeAttribute()


MODELS: tuple[type[Model], ...] = (
    MerchantItem,
    CampaignListing,
    CampaignItem,
    CampaignVersion,
    ActiveCampaign,
    LimitCounter,
    CouponItem,
    HeldCoupon,
)

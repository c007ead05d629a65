"""Coupons held by users: issued by an award, redeemed once at checkout by the merchant's staff, rolled
back once (the order was refunded), or expired by the journaled sweep.

* Issue (inside the award's entry): the value moves ``campaign budget -> merchant reserved`` on the shard
  the code picks, and the coupon item and the user's list row are put by guards.
* Redeem, one ``TransactWriteItems`` and no read: the code ends with the value (``K7M2Q9XAB3CD-500``) so
  the legs ``reserved[shard(code)] -> settled`` are known from the request, and the coupon item's
  condition checks everything else (merchant, value, status, minimum spend, validity). Racing
  redemptions: the condition ``status = issued`` lets exactly one win.
* Rollback: ``settled -> reserved`` and the coupon issued again, once per redemption.
* Expiry: ``reserved -> budget`` while the campaign runs, ``reserved -> prepaid`` once it ended.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from reward_ledger import clock
from reward_ledger.campaigns import accounts
from reward_ledger.campaigns.models import CampaignItem, CouponItem, HeldCoupon
from reward_ledger.campaigns.replies import HeldCoupons, HeldCouponView
from reward_ledger.campaigns.spec import CouponTerms
from reward_ledger.errors import (
    AlreadyDone,
    CouponExpired,
    LedgerError,
    MinSpendNotMet,
    NotFound,
    RetriesExhausted,
)
from reward_ledger.ledger import EntryRequest, EntryResult, Guard, IdempotencyKey, Ledger, Leg, expiry_for
from reward_ledger.reminders.core import new_reminder, schedule_guard
from reward_ledger.reminders.models import Reminder

EXPIRY_KIND = "merchant-coupon"
EXPIRING_REMINDER = "coupon-expiring"
#: how long before its expiry the holder is reminded of an unredeemed coupon ("expires tomorrow")
REMIND_BEFORE = timedelta(days=1)
REDEEMED_KIND = "coupon.redeemed.checkout"
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud at a till
CODE_LENGTH = 12  # 60 bits: collisions are negligible, and a taken code fails the issue's guard
CODE_PATTERN = r"^[A-Z2-9]{12}-[1-9][0-9]{0,8}$"
_CODE = re.compile(CODE_PATTERN)


def new_code(value: int) -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH)) + f"-{value}"


def coupon_id_of(code: str) -> str:
    """The coupon's public id, derived from its code (so a redemption answers it without a read)."""
    return "cp" + hashlib.sha256(code.encode()).hexdigest()[:24]


def coupon_key(code: str) -> str:
    return f"COUPON#{code}"


def issue(
    merchant_id: str, campaign_id: str, version: int, user_id: str, terms: CouponTerms, now: datetime
) -> tuple[Leg, list[Guard], dict[str, Any]]:
    """The leg and guards that issue a coupon inside an award entry, and the coupon as the user sees it."""
    code = new_code(terms.value)
    valid_until = now + timedelta(days=terms.valid_days)
    expiry = expiry_for(coupon_key(code), valid_until, kind=EXPIRY_KIND)
    item = CouponItem(
        pk=coupon_key(code),
        coupon_id=coupon_id_of(code),
        code=code,
        user_id=user_id,
        merchant_id=merchant_id,
        campaign_id=campaign_id,
        version=version,
        title=terms.title,
        value=terms.value,
        min_spend=terms.min_spend,
        status="issued",
        valid_until=clock.iso(valid_until),
        issued_at=clock.iso(now),
        exp_bucket=expiry.bucket,
        expires_at=expiry.at,
        exp_kind=expiry.kind,
    )
    held = HeldCoupon(pk=f"UCOUPON#{user_id}", sk=f"{clock.iso(now)}#{code}", code=code)
    guards = [
        Guard.put(item, CouponItem.pk.does_not_exist(), lambda old: RetriesExhausted("coupon code taken")),
        Guard.put(held, None, lambda old: RetriesExhausted("coupon list row taken")),
        schedule_guard(
            new_reminder(
                user_id,
                EXPIRING_REMINDER,
                item.coupon_id,
                max(now, valid_until - REMIND_BEFORE),
                {
                    "code": code,
                    "merchant_id": merchant_id,
                    "title": terms.title,
                    "expires_at": item.valid_until,
                },
            )
        ),
    ]
    leg = Leg(
        accounts.budget(campaign_id),
        accounts.reserved(merchant_id),
        terms.value,
        credit_shard=accounts.coupon_shard(merchant_id, code),
    )
    return leg, guards, {"coupon_id": item.coupon_id, "code": code, "value": terms.value}


def _text(old: Mapping[str, Any] | None, name: str) -> str | None:
    value = (old or {}).get(name)
    return None if value is None else str(value.get("S", value.get("N")))


def redeem(
    ledger: Ledger,
    merchant_id: str,
    code: str,
    order_id: str,
    order_amount: int,
    actor: str,
    idem: IdempotencyKey,
) -> EntryResult:
    """Redeem ``code`` at checkout: one entry, one transaction, no read."""
    if not _CODE.match(code):
        raise NotFound("no such coupon at this merchant")
    value = int(code.rsplit("-", 1)[1])
    now_iso = clock.iso(clock.now())
    shard = accounts.coupon_shard(merchant_id, code)
    condition = (
        (CouponItem.status == "issued")
        & (CouponItem.merchant_id == merchant_id)
        & (CouponItem.value == value)
        & (CouponItem.valid_until > now_iso)
        & (CouponItem.min_spend <= order_amount)
    )

    def refused(old: Mapping[str, Any] | None) -> LedgerError:
        if not old or _text(old, "merchant_id") != merchant_id or _text(old, "value") != str(value):
            return NotFound("no such coupon at this merchant")
        if _text(old, "status") != "issued":
            return AlreadyDone(f"this coupon is already {_text(old, 'status')}")
        if str(_text(old, "valid_until")) <= now_iso:
            return CouponExpired("this coupon has expired")
        return MinSpendNotMet(f"this coupon needs an order of at least {_text(old, 'min_spend')}")

    guard = Guard.update(
        CouponItem(pk=coupon_key(code)),
        [
            CouponItem.status.set("redeemed"),
            CouponItem.redeemed_by.set(idem.entry_id),
            CouponItem.exp_bucket.remove(),
            CouponItem.expires_at.remove(),
            CouponItem.exp_kind.remove(),
        ],
        condition,
        refused,
    )
    cid = coupon_id_of(code)
    return ledger.transfer(
        EntryRequest(
            idempotency=idem,
            kind=REDEEMED_KIND,
            legs=[
                Leg(accounts.reserved(merchant_id), accounts.settled(merchant_id), value, debit_shard=shard)
            ],
            guards=[guard],
            metadata={
                "merchant_id": merchant_id,
                "code": code,
                "coupon_id": cid,
                "order_id": order_id,
                "order_amount": order_amount,
                "value": value,
                "shard": shard,
                "actor": actor,
            },
            response={"redemption_id": idem.entry_id, "coupon_id": cid, "discount": value},
        )
    )


def rollback(
    ledger: Ledger, merchant_id: str, redemption_id: str, reason: str, actor: str, idem: IdempotencyKey
) -> EntryResult:
    """Undo a redemption once (the order was refunded): ``settled -> reserved`` and the coupon issued
    again, back in the expiry index at its original validity."""
    header = ledger.entry(redemption_id)
    meta = dict(header.metadata or {}) if header is not None else {}
    if header is None or header.kind != REDEEMED_KIND or meta.get("merchant_id") != merchant_id:
        raise NotFound(f"no redemption {redemption_id!r} at this merchant")
    code, value = str(meta["code"]), int(meta["value"])
    settled_shard = next(
        int(p.shard) for p in header.postings if p.account == str(accounts.settled(merchant_id))
    )
    coupon = CouponItem.get(coupon_key(code), "COUPON", consistent_read=True)
    expiry = expiry_for(coupon_key(code), clock.parse_iso(coupon.valid_until), kind=EXPIRY_KIND)
    guard = Guard.update(
        CouponItem(pk=coupon_key(code)),
        [
            CouponItem.status.set("issued"),
            CouponItem.redeemed_by.remove(),
            CouponItem.exp_bucket.set(expiry.bucket),
            CouponItem.expires_at.set(expiry.at),
            CouponItem.exp_kind.set(expiry.kind),
        ],
        (CouponItem.status == "redeemed") & (CouponItem.redeemed_by == redemption_id),
        lambda old: AlreadyDone(f"redemption {redemption_id} was already rolled back"),
    )
    leg = Leg(
        accounts.settled(merchant_id),
        accounts.reserved(merchant_id),
        value,
        debit_shard=settled_shard,
        credit_shard=int(meta["shard"]),
    )
    return ledger.transfer(
        EntryRequest(
            idempotency=idem,
            kind="coupon.redemption.rolled_back",
            legs=[leg],
            guards=[guard],
            metadata={
                "merchant_id": merchant_id,
                "redemption_id": redemption_id,
                "code": code,
                "reason": reason,
                "actor": actor,
            },
            response={"coupon_id": coupon_id_of(code), "status": "issued"},
        )
    )


def still_issued(reminder: Reminder) -> bool:
    """A ``coupon-expiring`` reminder tells the truth only while its coupon is unredeemed and valid."""
    code = str((reminder.data or {}).get("code", ""))
    try:
        coupon = CouponItem.get(coupon_key(code), "COUPON", consistent_read=True)
    except CouponItem.DoesNotExist:
        return False
    return coupon.status == "issued" and coupon.valid_until > clock.iso(clock.now())


def held_coupons(user_id: str) -> HeldCoupons:
    """The user's coupons, newest first; one past its validity shows ``expired`` before the sweep runs."""
    codes = [row.code for row in HeldCoupon.query(f"UCOUPON#{user_id}", scan_index_forward=False)]
    found = {c.code: c for c in CouponItem.batch_get([(coupon_key(code), "COUPON") for code in codes])}
    now_iso = clock.iso(clock.now())
    listed = []
    for code in codes:
        item = found.get(code)
        if item is None:
            continue
        status = "expired" if item.status == "issued" and item.valid_until <= now_iso else item.status
        listed.append(
            HeldCouponView.model_validate(
                {
                    "coupon_id": item.coupon_id,
                    "code": code,
                    "merchant_id": item.merchant_id,
                    "title": item.title,
                    "value": int(item.value),
                    "min_spend": int(item.min_spend),
                    "status": status,
                    "expires_at": item.valid_until,
                }
            )
        )
    return HeldCoupons(coupons=listed)


def _expire_one(ledger: Ledger, raw: Mapping[str, Any], now_iso: str) -> bool:
    code = str(raw["code"]["S"])
    merchant_id, campaign_id = str(raw["merchant_id"]["S"]), str(raw["campaign_id"]["S"])
    value, shard = int(raw["value"]["N"]), accounts.coupon_shard(merchant_id, code)
    idem = IdempotencyKey("coupon.expiry", code, {"code": code})
    coupon_guard = Guard.update(
        CouponItem(pk=coupon_key(code)),
        [
            CouponItem.status.set("expired"),
            CouponItem.exp_bucket.remove(),
            CouponItem.expires_at.remove(),
            CouponItem.exp_kind.remove(),
        ],
        (CouponItem.status == "issued") & (CouponItem.valid_until <= now_iso),
        lambda old: AlreadyDone("redeemed meanwhile"),
    )
    campaign = CampaignItem(pk=f"CAMPAIGN#{campaign_id}", sk="CAMPAIGN")
    for _ in range(2):  # the campaign may end between the read and the write: then once more, to prepaid
        ended = CampaignItem.get(campaign.pk, "CAMPAIGN", consistent_read=True).status == "ended"
        if ended:
            target = accounts.prepaid(merchant_id)
            status_guard = Guard.check(
                CampaignItem,
                campaign.pk,
                "CAMPAIGN",
                CampaignItem.status == "ended",
                lambda old: RetriesExhausted("campaign status changed"),
            )
        else:
            target = accounts.budget(campaign_id)
            status_guard = Guard.update(
                campaign,
                [CampaignItem.credits.add(1)],
                CampaignItem.status != "ended",
                lambda old: RetriesExhausted("campaign status changed"),
            )
        request = EntryRequest(
            idempotency=idem,
            kind="coupon.expired",
            legs=[Leg(accounts.reserved(merchant_id), target, value, debit_shard=shard)],
            guards=[coupon_guard, status_guard],
            metadata={
                "code": code,
                "merchant_id": merchant_id,
                "campaign_id": campaign_id,
                "to": str(target),
            },
        )
        try:
            return not ledger.transfer(request).replayed
        except AlreadyDone:
            return False
        except RetriesExhausted:
            continue
    return False


def expire_coupons(ledger: Ledger, items: Sequence[Mapping[str, Any]]) -> int:
    """Expirer of the sweep: each coupon past its validity gives its value back, once."""
    now_iso = clock.iso(clock.now())
    return sum(1 for raw in items if _expire_one(ledger, raw, now_iso))

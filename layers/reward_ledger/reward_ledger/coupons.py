"""Coupons bought with seeds, from a finite stock that is a ledger account per coupon type.

* Stock: ``coupon:<id>/stock/COUPON`` (policy kind ``coupon``: sharded, never negative), issued from
  ``external:coupons/issued/COUPON`` by configured batches, each issued once and spread over the shards.
* Redemption: one entry, one transaction: ``price`` seeds ``user:<u>/seeds/SEED ->
  coupon:<id>/proceeds/SEED``, one unit ``coupon:<id>/stock/COUPON -> coupon:<id>/sold/COUPON``, and the
  coupon instance the buyer now holds (:class:`Instance`: its legs and items, built by the merchant's
  campaign that sells it, whose budget reserves the coupon's value; ``reward_ledger.campaigns.shop``).
  The stock leg is overdraft-guarded like any non-negative account, so a storm can never take more units
  than exist; the core falls back to other shards when the hashed one is dry. The redemption id is the
  entry id.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import cache

from pydantic import BaseModel, Field, NonNegativeInt, PositiveInt

from reward_ledger import clock
from reward_ledger.config import StrictModel, load_model
from reward_ledger.coupon_instance import Instance as Instance
from reward_ledger.errors import InsufficientFunds, NotFound, OutOfStock
from reward_ledger.ledger import (
    Account,
    EntryRequest,
    EntryResult,
    IdempotencyKey,
    Ledger,
    Leg,
    external_account,
    user_account,
)
from reward_ledger.replies import Reply

ID_PATTERN = r"^[A-Za-z0-9_.-]{1,64}$"
COUPON = "COUPON"
SEED = "SEED"
#: extra tries when the core reports the stock dry while another shard still shows units (a racing
#: redemption moved the last unit of the shard the core had just split onto)
STOCK_RETRIES = 3


class StockBatch(StrictModel):
    batch_id: str = Field(pattern=ID_PATTERN)
    units: PositiveInt


class Coupon(StrictModel):
    coupon_id: str = Field(pattern=ID_PATTERN)
    title: str
    title_zh: str
    price_seeds: PositiveInt
    # the merchant whose coupon it is, and its campaign (trigger seeds.purchase) that funds each instance
    merchant_id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")
    campaign_id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")
    batches: list[StockBatch] = Field(default_factory=list)


class CouponCatalog(BaseModel):
    sold_out_memory_seconds: NonNegativeInt = 0
    coupons: list[Coupon]


@cache
def _loaded() -> CouponCatalog:
    return load_model("coupons", CouponCatalog)


@cache
def catalog() -> dict[str, Coupon]:
    loaded = _loaded()
    batch_ids = [b.batch_id for c in loaded.coupons for b in c.batches]
    if len(set(batch_ids)) != len(batch_ids):
        raise ValueError("invalid configuration data/coupons.toml: batch ids must be unique")
    return {c.coupon_id: c for c in loaded.coupons}


def coupon(coupon_id: str) -> Coupon:
    found = catalog().get(coupon_id)
    if found is None:
        raise NotFound(f"no coupon {coupon_id!r}")
    return found


def stock_account(coupon_id: str) -> Account:
    return Account(f"coupon:{coupon_id}", "stock", COUPON)


def sold_account(coupon_id: str) -> Account:
    return Account(f"coupon:{coupon_id}", "sold", COUPON)


Issuer = Callable[[Coupon], Instance]


def proceeds_account(coupon_id: str) -> Account:
    return Account(f"coupon:{coupon_id}", "proceeds", SEED)


ISSUER = external_account("coupons", COUPON)


def issue_stock(ledger: Ledger, coupon_id: str, batch_id: str, units: int) -> EntryResult:
    """Issue a stock batch once (idempotent by batch_id), split evenly over the stock's shards."""
    stock = stock_account(coupon_id)
    shards = stock.policy.shards
    legs = []
    for shard in range(shards):
        part = units // shards + (1 if shard < units % shards else 0)
        if part:
            legs.append(Leg(ISSUER, stock, part, credit_shard=shard))
    idem = IdempotencyKey("stock:coupon", batch_id, {"coupon_id": coupon_id, "units": units})
    return ledger.transfer(
        EntryRequest(
            idempotency=idem,
            kind="coupon.stock.issued",
            legs=legs,
            metadata={"coupon_id": coupon_id, "batch_id": batch_id},
            response={"entry_id": idem.entry_id, "units": units},
        )
    )


def issue_configured_stock(ledger: Ledger) -> dict[str, int]:
    """Issue every configured batch not yet issued; returns units newly issued per coupon."""
    issued: dict[str, int] = {}
    for item in catalog().values():
        for batch in item.batches:
            result = issue_stock(ledger, item.coupon_id, batch.batch_id, batch.units)
            if not result.replayed:
                issued[item.coupon_id] = issued.get(item.coupon_id, 0) + batch.units
    return issued


#: a coupon found sold out is remembered in ``ledger.memo`` under this topic for
#: ``sold_out_memory_seconds``
SOLD_OUT_TOPIC = "coupon-sold-out"


def redeem(ledger: Ledger, user_id: str, coupon_id: str, idem: IdempotencyKey, issue: Issuer) -> EntryResult:
    """Spend the coupon's price in seeds for one unit of its stock and an instance of the coupon (built
    by ``issue``); 422 out-of-stock when no unit is left or the coupon's budget cannot reserve its value.

    Happy path: one transaction, no read. When this ledger found the stock empty a moment ago (its memo), one read
    of the stock comes first so that a storm on a sold-out coupon costs a read per request instead of a
    failed transaction per shard (the transaction, not the read, remains what decides).
    """
    item = coupon(coupon_id)
    stock = stock_account(coupon_id)
    if ledger.memo.marked(SOLD_OUT_TOPIC, coupon_id, clock.now()) and ledger.balance(stock) <= 0:
        raise OutOfStock(f"coupon {coupon_id} is out of stock", coupon_id=coupon_id)
    instance = issue(item)
    request = EntryRequest(
        idempotency=idem,
        kind="coupon.redeemed",
        legs=[
            Leg(user_account(user_id, "seeds", SEED), proceeds_account(coupon_id), item.price_seeds),
            Leg(stock, sold_account(coupon_id), 1),
            *instance.legs,
        ],
        guards=instance.guards,
        metadata={"coupon_id": coupon_id, "user_id": user_id, "code": instance.view["code"]},
        response={
            "redemption_id": idem.entry_id,
            "coupon_id": coupon_id,
            "seeds": item.price_seeds,
            "coupon": instance.view,
        },
    )
    for attempt in range(STOCK_RETRIES + 1):
        try:
            return ledger.transfer(request)
        except InsufficientFunds as exc:
            if exc.context.get("account") == str(instance.funded_by):  # as for the stock: really spent?
                if attempt < STOCK_RETRIES and ledger.balance(instance.funded_by) >= instance.view["value"]:
                    continue
                raise OutOfStock(f"coupon {coupon_id} is out of stock: its budget is spent") from exc
            if exc.context.get("account") != str(stock):
                raise
            # failure path only: is the stock really gone, or did a racing redemption beat a split?
            if attempt == STOCK_RETRIES or ledger.balance(stock) <= 0:
                memory = timedelta(seconds=_loaded().sold_out_memory_seconds)
                ledger.memo.mark(SOLD_OUT_TOPIC, coupon_id, clock.now() + memory)
                raise OutOfStock(f"coupon {coupon_id} is out of stock", coupon_id=coupon_id) from exc
    raise AssertionError("unreachable")  # pragma: no cover


class CouponView(Reply):
    coupon_id: str
    title: str
    title_zh: str
    price_seeds: int = Field(description="seeds one unit costs")
    stock: int = Field(description="units left")


def coupons_view(ledger: Ledger) -> list[CouponView]:
    """Every coupon with its price and remaining stock (one BatchGetItem)."""
    items = list(catalog().values())
    stocks = ledger.balances([stock_account(c.coupon_id) for c in items])
    return [
        CouponView.model_validate(
            {
                "coupon_id": c.coupon_id,
                "title": c.title,
                "title_zh": c.title_zh,
                "price_seeds": c.price_seeds,
                "stock": stocks[stock_account(c.coupon_id)],
            }
        )
        for c in items
    ]

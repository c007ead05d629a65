"""Coupons: seeds for one unit of a finite, sharded stock; a storm never oversells or goes negative."""

from __future__ import annotations

import pytest

from infra.handlers import invoke
from reward_ledger import clock, coupons
from reward_ledger.campaigns import accounts
from reward_ledger.campaigns.seed import seed_campaigns
from reward_ledger.campaigns.shop import bought_coupon
from reward_ledger.campaigns.vouchers import held_coupons
from reward_ledger.errors import OutOfStock
from reward_ledger.ledger import EntryResult, IdempotencyKey, Ledger, reconcile, shard_for, user_account
from reward_ledger.ledger.models import EntryItem
from tests.conftest import Api
from tests.seeds.conftest import give_seeds, run_threads

COFFEE = "coffee-5"  # price 20 seeds, one configured batch of 100 units


def redeem(
    api: Api, coupon_id: str, key: str, user: str = "alice", body: object = None
) -> tuple[int, dict, dict]:
    return api.call(
        "POST",
        f"/v1/coupons/{coupon_id}/redemptions",
        route="/v1/coupons/{coupon_id}/redemptions",
        path_parameters={"coupon_id": coupon_id},
        body={} if body is None else body,
        headers={"Idempotency-Key": key},
        user=user,
    )


def issuer(user: str) -> coupons.Issuer:
    def issue(item: coupons.Coupon) -> coupons.Instance:
        return bought_coupon(item.merchant_id, item.campaign_id, item.coupon_id, user, clock.now())

    return issue


def stock_of(ledger: Ledger, coupon_id: str) -> int:
    return ledger.balance(coupons.stock_account(coupon_id))


def test_configured_stock_is_issued_once_and_spread_over_shards(ledger: Ledger) -> None:
    first = invoke("CouponStockFunction", {})
    again = invoke("CouponStockFunction", {})
    assert first == {
        "issued": {c.coupon_id: sum(b.units for b in c.batches) for c in coupons.catalog().values()}
    }
    assert again == {"issued": {}}
    assert ledger.shard_balances(coupons.stock_account(COFFEE)) == [25, 25, 25, 25]


def test_a_redemption_spends_seeds_and_takes_one_unit(coupons_api: Api, ledger: Ledger) -> None:
    invoke("CouponStockFunction", {})
    give_seeds(ledger, "alice", 50)
    status, body, headers = redeem(coupons_api, COFFEE, "r1")
    assert status == 201, body
    assert body["redemption_id"].startswith("e")
    assert "idempotent-replayed" not in headers
    status, again, headers = redeem(coupons_api, COFFEE, "r1")
    assert (status, again, headers["idempotent-replayed"]) == (201, body, "true")
    status, second, _ = redeem(coupons_api, COFFEE, "r2")
    assert status == 201
    assert second["redemption_id"] != body["redemption_id"]

    assert ledger.balance(user_account("alice", "seeds", "SEED")) == 10
    assert stock_of(ledger, COFFEE) == 98
    assert ledger.balance(coupons.sold_account(COFFEE)) == 2
    assert ledger.balance(coupons.proceeds_account(COFFEE)) == 40
    header = ledger.entry(body["redemption_id"])
    assert header is not None
    assert (header.kind, header.metadata) == (
        "coupon.redeemed",
        {"coupon_id": COFFEE, "user_id": "alice", "code": body["coupon"]["code"]},
    )
    # the buyer holds two instances of the merchant's coupon, their value reserved from its campaign
    held = [c.model_dump() for c in held_coupons("alice").coupons]
    assert sorted(c["code"] for c in held) == sorted([body["coupon"]["code"], second["coupon"]["code"]])
    assert {(c["merchant_id"], c["value"], c["min_spend"], c["status"]) for c in held} == {
        ("brand-coffee", 500, 1500, "issued")
    }
    assert ledger.balance(accounts.reserved("brand-coffee")) == 2 * 500
    assert ledger.balance(accounts.budget("coffee-5-seeds")) == 50_000 - 2 * 500

    # not enough seeds left for a third: refused, nothing moved
    status, problem, _ = redeem(coupons_api, COFFEE, "r3")
    assert (status, problem["type"]) == (422, "insufficient-funds")
    assert stock_of(ledger, COFFEE) == 98
    _, listed, _ = coupons_api.call("GET", "/v1/coupons")
    assert {c["coupon_id"]: c["stock"] for c in listed["coupons"]}[COFFEE] == 98
    assert reconcile().ok


def test_no_stock_is_out_of_stock_and_unknown_coupon_is_404(coupons_api: Api, ledger: Ledger) -> None:
    give_seeds(ledger, "alice", 100)
    status, problem, _ = redeem(coupons_api, COFFEE, "r1")  # stock never issued
    assert (status, problem["type"]) == (422, "out-of-stock")
    status, problem, _ = redeem(coupons_api, "no-such-coupon", "r2")
    assert (status, problem["type"]) == (404, "not-found")
    assert ledger.balance(user_account("alice", "seeds", "SEED")) == 100


@pytest.mark.parametrize("body", [{"coupon_id": "x"}, {"qty": 2}, "[]"])
def test_bad_redemption_bodies_are_400(coupons_api: Api, body: object) -> None:
    status, problem, _ = redeem(coupons_api, COFFEE, "k", body=body)
    assert (status, problem["type"]) == (400, "validation-error"), problem


@pytest.mark.slow
def test_a_storm_of_500_redemptions_on_100_coupons_redeems_exactly_100(
    ledger: Ledger, serialised_moto: None
) -> None:
    seed_campaigns(ledger, fund=True)  # a budget of exactly 100 coupons of 500
    coupons.issue_stock(ledger, COFFEE, "storm-batch", 100)
    price = coupons.coupon(COFFEE).price_seeds
    users = 20
    per_user = 25  # 500 attempts in all, 20 threads
    for u in range(users):
        give_seeds(ledger, f"s{u}", price * per_user)

    def attempt(u: int) -> list[EntryResult | Exception]:
        out: list[EntryResult | Exception] = []
        for k in range(per_user):
            try:
                idem = IdempotencyKey(f"storm:{u}", f"k{k}", {})
                out.append(coupons.redeem(ledger, f"s{u}", COFFEE, idem, issuer(f"s{u}")))
            except Exception as exc:  # collected and asserted below
                out.append(exc)
        return out

    results = [r for batch in run_threads(users, attempt) for r in batch]
    assert len(results) == 500
    redeemed = [r for r in results if isinstance(r, EntryResult)]
    refused = [r for r in results if not isinstance(r, EntryResult)]
    assert len(redeemed) == 100
    assert all(isinstance(r, OutOfStock) for r in refused), {type(r).__name__ for r in refused}
    assert len({r.entry_id for r in redeemed}) == 100

    shards = ledger.shard_balances(coupons.stock_account(COFFEE))
    assert shards == [0, 0, 0, 0]
    assert all(b >= 0 for b in ledger.shard_balances(coupons.sold_account(COFFEE)))
    assert ledger.balance(coupons.sold_account(COFFEE)) == 100
    assert ledger.balance(coupons.proceeds_account(COFFEE)) == 100 * price
    spent = sum(
        price * per_user - ledger.balance(user_account(f"s{u}", "seeds", "SEED")) for u in range(users)
    )
    assert spent == 100 * price
    assert ledger.balance(accounts.budget("coffee-5-seeds")) == 0  # every coupon's value reserved, no more
    assert ledger.balance(accounts.reserved("brand-coffee")) == 100 * 500
    # every success is journaled once; no refused attempt left an entry behind
    journal = [e for e in EntryItem.scan(EntryItem.sk == "ENTRY") if e.kind == "coupon.redeemed"]
    assert len(journal) == 100
    # the storm drained the shards unevenly: some units came from a fallback shard, not the hashed one
    stock = coupons.stock_account(COFFEE)
    fallbacks = sum(
        1
        for e in journal
        for p in e.postings
        if p.account == str(stock) and int(p.shard) != shard_for(e.entry_id, stock, stock.policy.shards)
    )
    assert fallbacks > 0
    assert reconcile().ok

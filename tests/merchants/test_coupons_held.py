"""Coupons held by users: issued by an award, redeemed once, rolled back once, expired by the sweep."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from infra.handlers import invoke
from reward_ledger import clock, sweep
from reward_ledger.campaigns import accounts, vouchers
from reward_ledger.campaigns.models import CouponItem
from reward_ledger.ledger import Ledger, reconcile
from reward_ledger.ledger.models import ExpiringItem
from reward_ledger.reminders.kinds import find_and_deliver
from reward_ledger.reminders.models import Reminder, partition
from reward_ledger.wiring import PRODUCT
from tests.conftest import Api
from tests.merchants.conftest import Merchants, coupon_spec, pay, running, staff
from tests.seeds.conftest import run_threads, serialised_moto  # noqa: F401 (fixture)

START = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)


def issued(merchants: Merchants, user: str = "u1", payment: str = "p1") -> dict:
    outcome = pay(user, "m1", 5_000, payment)["outcomes"][0]
    assert outcome["status"] == "awarded", outcome
    return dict(outcome["coupon"])


def test_an_award_issues_a_coupon_the_user_holds(merchants: Merchants, ledger: Ledger) -> None:
    clock.set_now(START)
    running(merchants, "m1", coupon_spec("c1"), budget=2_000, prepaid=2_000)
    coupon = issued(merchants)
    assert ledger.balance(accounts.reserved("m1")) == 500
    assert ledger.balance(accounts.budget("c1")) == 1_500
    [held] = merchants.coupons("u1")
    assert held["code"] == coupon["code"] and held["status"] == "issued"
    assert (held["merchant_id"], held["value"], held["min_spend"]) == ("m1", 500, 3_000)
    assert held["expires_at"] == clock.iso(START + timedelta(days=7))
    assert merchants.coupons("u2") == []


def test_redeem_once_min_spend_other_merchant_and_rollback_once(merchants: Merchants, ledger: Ledger) -> None:
    clock.set_now(START)
    running(merchants, "m1", coupon_spec("c1"), budget=2_000, prepaid=2_000)
    merchants.create_merchant("m2")
    code = issued(merchants)["code"]
    status, body = merchants.redeem("m1", code, 2_999)
    assert (status, body["type"]) == (422, "min-spend-not-met")
    status, body = merchants.redeem("m2", code, 9_000)
    assert (status, body["type"]) == (404, "not-found")
    status, body = merchants.redeem("m1", code[:-3] + "499", 9_000)  # a forged value suffix
    assert (status, body["type"]) == (404, "not-found")
    status, redeemed = merchants.redeem("m1", code, 3_000)
    assert status == 201 and redeemed["discount"] == 500
    status, body = merchants.redeem("m1", code, 3_000)
    assert (status, body["type"]) == (409, "already-done")
    assert ledger.balance(accounts.settled("m1")) == 500
    assert ledger.balance(accounts.reserved("m1")) == 0
    assert merchants.coupons("u1")[0]["status"] == "redeemed"
    status, body = merchants.rollback("m1", redeemed["redemption_id"])
    assert (status, body["status"]) == (201, "issued")
    status, body = merchants.rollback("m1", redeemed["redemption_id"])
    assert (status, body["type"]) == (409, "already-done")
    assert ledger.balance(accounts.settled("m1")) == 0
    assert ledger.balance(accounts.reserved("m1")) == 500
    assert merchants.coupons("u1")[0]["status"] == "issued"
    assert merchants.redeem("m1", code, 3_000)[0] == 201  # usable again after the refund
    assert reconcile().ok


def test_racing_redemptions_one_wins(merchants: Merchants, ledger: Ledger, serialised_moto: None) -> None:  # noqa: F811
    running(merchants, "m1", coupon_spec("c1"), budget=2_000, prepaid=2_000)
    code = issued(merchants)["code"]
    answers = run_threads(8, lambda i: merchants.redeem("m1", code, 5_000, key=f"race-{i}")[0])
    assert sorted(answers) == [201] + [409] * 7
    assert ledger.balance(accounts.settled("m1")) == 500


def _sweep(ledger: Ledger, at: datetime) -> int:
    return sum(
        PRODUCT.sweeper(ledger).sweep_bucket(job, at).by_kind.get(vouchers.EXPIRY_KIND, 0)
        for job in sweep.jobs_for()
    )


def test_unredeemed_coupons_expire_back_to_the_budget_or_to_prepaid_once_ended(
    merchants: Merchants, ledger: Ledger
) -> None:
    clock.set_now(START)
    running(merchants, "m1", coupon_spec("c1", valid_days=1), budget=2_000, prepaid=2_000)
    first, second = issued(merchants, "u1", "p1"), issued(merchants, "u2", "p2")
    later = START + timedelta(days=1, minutes=1)
    clock.set_now(later)
    status, body = merchants.redeem("m1", second["code"], 5_000)
    assert (status, body["type"]) == (422, "coupon-expired")
    assert merchants.coupons("u1")[0]["status"] == "expired"  # shown before the sweep ran
    CouponItem(pk=vouchers.coupon_key(second["code"])).update(
        actions=[CouponItem.valid_until.set(clock.iso(later + timedelta(days=1)))]
    )  # the second coupon's validity is moved out of the sweep's reach, to expire after the end
    assert _sweep(ledger, later) == 1
    assert _sweep(ledger, later) == 0  # a repeated sweep expires nothing twice
    assert ledger.balance(accounts.budget("c1")) == 1_500
    assert ledger.balance(accounts.reserved("m1")) == 500
    assert merchants.step("m1", "c1", "end", {})[1]["returned"] == 1_500
    assert first["code"] != second["code"]
    CouponItem(pk=vouchers.coupon_key(second["code"])).update(
        actions=[CouponItem.valid_until.set(clock.iso(later - timedelta(seconds=1)))]
    )
    raw = ExpiringItem._get_connection().get_item(vouchers.coupon_key(second["code"]), "COUPON")["Item"]
    assert vouchers.expire_coupons(ledger, [raw]) == 1
    assert ledger.balance(accounts.prepaid("m1")) == 2_000  # everything unspent is back
    assert ledger.balance(accounts.reserved("m1")) == 0
    assert reconcile().ok


def test_an_unredeemed_coupon_reminds_its_holder_a_day_before_it_expires_once(
    merchants: Merchants, ledger: Ledger
) -> None:
    clock.set_now(START)
    running(merchants, "m1", coupon_spec("c1", valid_days=3), budget=2_000, prepaid=2_000)
    kept, redeemed = issued(merchants, "u1", "p1"), issued(merchants, "u2", "p2")
    [reminder] = [r for r in Reminder.query(partition("u1")) if r.sk.startswith("R#coupon-expiring#")]
    assert reminder.due_at == clock.iso(START + timedelta(days=2))
    assert reminder.subject == kept["coupon_id"]
    assert merchants.redeem("m1", redeemed["code"], 5_000)[0] == 201
    early = find_and_deliver(PRODUCT.reminder_kinds, START + timedelta(days=2) - timedelta(minutes=1))
    assert early.delivery.outcomes == {}  # not due yet
    report = find_and_deliver(PRODUCT.reminder_kinds, START + timedelta(days=2, minutes=1))
    assert report.delivery.outcomes == {"sent": 1, "stale": 1}  # u1's; u2 redeemed theirs
    again = find_and_deliver(PRODUCT.reminder_kinds, START + timedelta(days=2, minutes=2))
    assert again.delivery.outcomes == {}  # at most one per (user, kind, coupon)


def test_a_coupon_bought_with_seeds_is_held_redeemed_rolled_back_and_expires_as_a_campaigns(
    merchants: Merchants, ledger: Ledger
) -> None:
    """The seeds shop issues an instance of the merchant's coupon: the same checkout, rollback and sweep."""
    from reward_ledger.campaigns.seed import seed_campaigns
    from tests.seeds.conftest import give_seeds

    clock.set_now(START)
    seed_campaigns(ledger, fund=True)
    invoke("CouponStockFunction", {})
    give_seeds(ledger, "u1", 40)
    shop = Api("CouponsFunction")
    codes = []
    for key in ("buy-1", "buy-2"):
        status, bought, _ = shop.call(
            "POST",
            "/v1/coupons/coffee-5/redemptions",
            route="/v1/coupons/{coupon_id}/redemptions",
            path_parameters={"coupon_id": "coffee-5"},
            body={},
            headers={"Idempotency-Key": key},
            user="u1",
        )
        assert status == 201, bought
        codes.append(bought["coupon"]["code"])
    assert [c["status"] for c in merchants.coupons("u1")] == ["issued", "issued"]
    assert merchants.redeem("brand-coffee", codes[0], 1_000)[1]["type"] == "min-spend-not-met"
    status, redeemed = merchants.redeem("brand-coffee", codes[0], 2_000)
    assert (status, redeemed["discount"]) == (201, 500)
    assert merchants.redeem("brand-coffee", codes[0], 2_000)[0] == 409
    assert merchants.redeem("m-other", codes[1], 2_000, claims=staff("m-other"))[0] == 404
    assert merchants.rollback("brand-coffee", redeemed["redemption_id"])[0] == 201
    assert merchants.rollback("brand-coffee", redeemed["redemption_id"])[0] == 409
    budget = accounts.budget("coffee-5-seeds")
    assert ledger.balance(budget) == 50_000 - 2 * 500
    clock.set_now(START + timedelta(days=31))
    assert _sweep(ledger, clock.now()) == 2  # both unredeemed: their value goes back
    assert ledger.balance(budget) == 50_000
    assert ledger.balance(accounts.reserved("brand-coffee")) == 0
    assert reconcile().ok

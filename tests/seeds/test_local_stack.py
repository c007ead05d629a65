"""End to end over the local stack (HTTP, JWT, EventBridge rules, schedules, SSM secret from the template)."""

from __future__ import annotations

import uuid

from tests.local.conftest import Client, client, stack  # noqa: F401 (fixtures)


def post(client: Client, path: str, body: dict, user: str, key: str) -> tuple[int, dict]:  # noqa: F811
    reply = client.call("POST", path, body, user=user, headers={"Idempotency-Key": key})
    return reply.status, reply.body


def test_payment_to_box_to_seeds_to_coupon_and_charity(client: Client) -> None:  # noqa: F811
    user = "seeds-" + uuid.uuid4().hex[:8]
    payment = {
        "payment_id": "pay-" + user,
        "user_id": user,
        "amount": 5_000,
        "category": "offline",
        "occurred_at": "2026-11-23T03:00:00Z",
    }
    delivered = client.event("payments", "payment.completed", payment)
    assert delivered.status == 200, delivered.body
    assert "BoxesFunctionPaymentCompleted" in delivered.body["matched_rules"]

    boxes = client.call("GET", "/v1/seeds/boxes", user=user).body["boxes"]
    assert [b["state"] for b in boxes] == ["unopened"]
    status, opened = post(client, f"/v1/seeds/boxes/{boxes[0]['box_id']}/open", {}, user, "open")
    assert status == 201, opened
    assert opened["proof"]["box_id"] == boxes[0]["box_id"]
    status, again = post(client, f"/v1/seeds/boxes/{boxes[0]['box_id']}/open", {}, user, "open-2")
    assert (status, again["type"]) == (409, "already-done")
    won = opened["seeds"]
    seeds = {
        b["book"]: b["balance"] for b in client.call("GET", "/v1/me/balances", user=user).body["balances"]
    }
    assert seeds["seeds"] == won

    # the stock schedule issues coupon stock; the draw decides whether one box pays for a coupon
    ran = client.call("POST", "/_local/schedules/CouponStockFunction")
    assert ran.status == 200, ran.body
    listed = {c["coupon_id"]: c for c in client.call("GET", "/v1/coupons", user=user).body["coupons"]}
    assert listed["bike-ride"]["stock"] > 0
    if won >= listed["bike-ride"]["price_seeds"]:
        status, redeemed = post(client, "/v1/coupons/bike-ride/redemptions", {}, user, "redeem")
        assert status == 201, redeemed
        won -= listed["bike-ride"]["price_seeds"]
    else:
        status, refused = post(client, "/v1/coupons/bike-ride/redemptions", {}, user, "redeem")
        assert (status, refused["type"]) == (422, "insufficient-funds")
    if won:
        status, donated = post(
            client, "/v1/seeds/donations", {"project_id": "desert-trees", "seeds": won}, user, "d"
        )
        assert status == 201, donated
    projects = {
        p["project_id"]: p for p in client.call("GET", "/v1/charity/projects", user=user).body["projects"]
    }
    assert projects["desert-trees"]["raised"] >= won


def test_rental_over_http_with_the_cabinet_schedule(client: Client) -> None:  # noqa: F811
    user = "renter-" + uuid.uuid4().hex[:8]
    client.event("payments", "wallet.funded", {"funding_id": "f-" + user, "user_id": user, "amount": 10_000})
    assert client.call("POST", "/_local/schedules/CabinetStockFunction").status == 200
    status, rental = post(client, "/v1/rentals", {"cabinet_id": "cab-sh-002", "item": "umbrella"}, user, "b")
    assert status == 201, rental
    assert rental["deposit_held"] == 3_000
    assert client.balances(user)["wallet"] == 7_000
    status, returned = post(client, f"/v1/rentals/{rental['rental_id']}/return", {}, user, "r")
    assert (status, returned["status"]) == (201, "returned")
    assert client.balances(user)["wallet"] == 10_000

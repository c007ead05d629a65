"""Fixtures of the merchants tests: the merchants API called as operator, staff or user, and helpers
that create, fund and activate campaigns."""

from __future__ import annotations

from typing import Any

import pytest

from infra.apigw import eventbridge_event
from infra.handlers import invoke
from tests.conftest import Api
from tests.events.conftest import consumer, stream  # noqa: F401 (the events-out fixtures, for test_triggers)

OPERATOR = {"sub": "ops", "scope": "ledger/admin"}


def staff(merchant_id: str, sub: str = "staff") -> dict[str, Any]:
    return {"sub": sub, "scope": "ledger/merchant", "merchant_id": merchant_id}


class Merchants:
    """The MerchantsFunction with the contract's routes spelled once."""

    def __init__(self) -> None:
        self.api = Api("MerchantsFunction")
        self.keys = 0

    def post(
        self,
        path: str,
        route: str,
        params: dict[str, str],
        body: Any,
        claims: dict[str, Any],
        key: str | None = None,
    ) -> tuple[int, dict[str, Any]]:
        self.keys += 1
        status, reply, _ = self.api.call(
            "POST",
            path,
            route=route,
            path_parameters=params,
            body=body,
            claims=claims,
            headers={"Idempotency-Key": key or f"k{self.keys}"},
        )
        return status, reply

    def get(
        self, path: str, route: str, params: dict[str, str] | None, claims: dict[str, Any]
    ) -> tuple[int, Any]:
        status, reply, _ = self.api.call("GET", path, route=route, path_parameters=params, claims=claims)
        return status, reply

    def create_merchant(
        self, merchant_id: str, claims: dict[str, Any] = OPERATOR
    ) -> tuple[int, dict[str, Any]]:
        return self.post(
            "/v1/admin/merchants",
            "/v1/admin/merchants",
            {},
            {"merchant_id": merchant_id, "name": f"Shop {merchant_id}"},
            claims,
        )

    def merchant(self, merchant_id: str, claims: dict[str, Any] | None = None) -> tuple[int, Any]:
        return self.get(
            f"/v1/merchants/{merchant_id}",
            "/v1/merchants/{merchant_id}",
            {"merchant_id": merchant_id},
            claims or staff(merchant_id),
        )

    def create_campaign(
        self, merchant_id: str, spec: dict[str, Any], claims: dict[str, Any] | None = None
    ) -> tuple[int, dict[str, Any]]:
        return self.post(
            f"/v1/merchants/{merchant_id}/campaigns",
            "/v1/merchants/{merchant_id}/campaigns",
            {"merchant_id": merchant_id},
            spec,
            claims or staff(merchant_id),
        )

    def step(
        self,
        merchant_id: str,
        campaign_id: str,
        action: str,
        body: Any,
        claims: dict[str, Any] | None = None,
        key: str | None = None,
    ) -> tuple[int, dict[str, Any]]:
        return self.post(
            f"/v1/merchants/{merchant_id}/campaigns/{campaign_id}/{action}",
            f"/v1/merchants/{{merchant_id}}/campaigns/{{campaign_id}}/{action}",
            {"merchant_id": merchant_id, "campaign_id": campaign_id},
            body,
            claims or staff(merchant_id),
            key,
        )

    def campaign(self, merchant_id: str, campaign_id: str) -> dict[str, Any]:
        status, body = self.get(
            f"/v1/merchants/{merchant_id}/campaigns/{campaign_id}",
            "/v1/merchants/{merchant_id}/campaigns/{campaign_id}",
            {"merchant_id": merchant_id, "campaign_id": campaign_id},
            staff(merchant_id),
        )
        assert status == 200, body
        return body

    def redeem(
        self,
        merchant_id: str,
        code: str,
        order_amount: int,
        claims: dict[str, Any] | None = None,
        key: str | None = None,
    ) -> tuple[int, dict[str, Any]]:
        return self.post(
            f"/v1/merchants/{merchant_id}/redemptions",
            "/v1/merchants/{merchant_id}/redemptions",
            {"merchant_id": merchant_id},
            {"code": code, "order_id": f"o-{self.keys}", "order_amount": order_amount},
            claims or staff(merchant_id),
            key,
        )

    def rollback(self, merchant_id: str, redemption_id: str) -> tuple[int, dict[str, Any]]:
        return self.post(
            f"/v1/merchants/{merchant_id}/redemptions/{redemption_id}/rollback",
            "/v1/merchants/{merchant_id}/redemptions/{redemption_id}/rollback",
            {"merchant_id": merchant_id, "redemption_id": redemption_id},
            {"reason": "refund"},
            staff(merchant_id),
        )

    def coupons(self, user: str) -> list[dict[str, Any]]:
        status, body = self.get("/v1/me/coupons", "/v1/me/coupons", None, {"sub": user})
        assert status == 200, body
        return list(body["coupons"])


@pytest.fixture
def merchants(ledger_table: str) -> Merchants:
    return Merchants()


def fund_merchant(merchant_id: str, amount: int, funding_id: str | None = None) -> Any:
    detail = {
        "funding_id": funding_id or f"mf-{merchant_id}-{amount}",
        "merchant_id": merchant_id,
        "amount": amount,
    }
    return invoke("FundingFunction", eventbridge_event("payments", "merchant.funded", detail))


def pay(user: str, merchant_id: str, amount: int, payment_id: str, category: str = "offline") -> Any:
    detail = {
        "payment_id": payment_id,
        "user_id": user,
        "amount": amount,
        "category": category,
        "merchant_id": merchant_id,
        "occurred_at": "2026-11-23T03:00:00Z",
    }
    return invoke("CampaignTriggersFunction", eventbridge_event("payments", "payment.completed", detail))


def cash_spec(campaign_id: str, amount: int = 100, **limits: int) -> dict[str, Any]:
    return {
        "campaign_id": campaign_id,
        "name": f"Campaign {campaign_id}",
        "trigger": {"event": "payment.completed", "min_amount": 1000},
        "effect": {"kind": "cash", "amount": amount},
        "limits": limits,
    }


def coupon_spec(
    campaign_id: str, value: int = 500, min_spend: int = 3000, valid_days: int = 7
) -> dict[str, Any]:
    return {
        "campaign_id": campaign_id,
        "name": f"Coupon {campaign_id}",
        "trigger": {"event": "payment.completed"},
        "effect": {
            "kind": "coupon",
            "coupon": {"title": "5 off", "value": value, "min_spend": min_spend, "valid_days": valid_days},
        },
    }


def running(merchants: Merchants, merchant_id: str, spec: dict[str, Any], budget: int, prepaid: int) -> None:
    """A merchant with ``prepaid`` money and the campaign ``spec`` active with ``budget``."""
    merchants.create_merchant(merchant_id)
    fund_merchant(merchant_id, prepaid)
    status, body = merchants.create_campaign(merchant_id, spec)
    assert status == 201, body
    status, body = merchants.step(merchant_id, spec["campaign_id"], "activate", {"budget": budget})
    assert status == 201, body

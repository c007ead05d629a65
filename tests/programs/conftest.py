"""Fixtures of the merchant programs' tests: a merchant registered and funded, the programs' functions
called as staff or user, and payments delivered to the programs' consumer."""

from __future__ import annotations

from typing import Any

import pytest

from infra.apigw import eventbridge_event
from infra.handlers import invoke
from tests.conftest import Api

OPERATOR = {"sub": "ops", "scope": "ledger/admin"}


def staff(merchant_id: str) -> dict[str, Any]:
    return {"sub": f"staff-{merchant_id}", "scope": "ledger/merchant", "merchant_id": merchant_id}


class Caller:
    """One function's routes, with a fresh Idempotency-Key per POST unless one is given."""

    def __init__(self, function: str) -> None:
        self.api = Api(function)
        self.keys = 0

    def post(
        self, path: str, route: str, body: Any, claims: dict[str, Any], key: str | None = None, **params: str
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

    def get(self, path: str, user: str) -> tuple[int, dict[str, Any]]:
        status, reply, _ = self.api.call("GET", path, claims={"sub": user})
        return status, reply


def register(merchant_id: str, prepaid: int = 0) -> None:
    status, body = Caller("MerchantsFunction").post(
        "/v1/admin/merchants",
        "/v1/admin/merchants",
        {"merchant_id": merchant_id, "name": "Shop"},
        OPERATOR,
        key=f"register-{merchant_id}",
    )
    assert status == 201, body
    if prepaid:
        detail = {"funding_id": f"f-{merchant_id}", "merchant_id": merchant_id, "amount": prepaid}
        invoke("FundingFunction", eventbridge_event("payments", "merchant.funded", detail))


def pay(user: str, amount: int, payment_id: str, merchant_id: str | None = None) -> Any:
    """A payment.completed delivered to the programs' consumer (and to the campaigns' when at a merchant)."""
    detail: dict[str, Any] = {
        "payment_id": payment_id,
        "user_id": user,
        "amount": amount,
        "category": "offline",
        "occurred_at": "2026-11-23T03:00:00Z",
    }
    if merchant_id is not None:
        detail["merchant_id"] = merchant_id
    event = eventbridge_event("payments", "payment.completed", detail)
    outcome = invoke("ProgramEventsFunction", event)
    if merchant_id is not None:
        invoke("CampaignTriggersFunction", event)
    return outcome


@pytest.fixture
def loyalty_api(ledger_table: str) -> Caller:
    return Caller("LoyaltyFunction")


def set_program(api: Caller, merchant_id: str, **terms: Any) -> tuple[int, dict[str, Any]]:
    body = {
        "earn_per_yuan": 1,
        "tiers": [{"tier": "silver", "min_points": 100}, {"tier": "gold", "min_points": 500}],
        "points_valid_days": 30,
        **terms,
    }
    return api.post(
        f"/v1/merchants/{merchant_id}/loyalty",
        "/v1/merchants/{merchant_id}/loyalty",
        body,
        staff(merchant_id),
        merchant_id=merchant_id,
    )

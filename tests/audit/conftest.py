"""Fixtures of the audit tests: the audit function's routes spelled out once, called as an operator."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest

from tests.conftest import Api

OPERATOR = {"sub": "ops-1", "scope": "openid ledger/admin"}


class AuditApi(Api):
    def __init__(self) -> None:
        super().__init__("AuditFunction")

    def entry(self, entry_id: str, **kw: Any) -> tuple[int, dict[str, Any], dict[str, str]]:
        kw.setdefault("claims", OPERATOR)
        return self.call(
            "GET",
            f"/v1/admin/entries/{entry_id}",
            route="/v1/admin/entries/{entry_id}",
            path_parameters={"entry_id": entry_id},
            **kw,
        )

    def reverse(
        self, entry_id: str, reason: str = "customer complaint", *, key: str = "rev-1", **kw: Any
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        kw.setdefault("claims", OPERATOR)
        return self.call(
            "POST",
            f"/v1/admin/entries/{entry_id}/reversal",
            route="/v1/admin/entries/{entry_id}/reversal",
            path_parameters={"entry_id": entry_id},
            body=kw.pop("body", {"reason": reason}),
            headers={"Idempotency-Key": key},
            **kw,
        )

    def _account(self, account: str, what: str, query: dict[str, str], **kw: Any) -> Any:
        kw.setdefault("claims", OPERATOR)
        encoded = quote(account, safe="")
        return self.call(
            "GET",
            f"/v1/admin/accounts/{encoded}/{what}",
            route=f"/v1/admin/accounts/{{account}}/{what}",
            path_parameters={"account": account},
            query=query or None,
            **kw,
        )

    def balance(
        self, account: str, at: str | None = None, **kw: Any
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        return self._account(account, "balance", {"at": at} if at else {}, **kw)  # type: ignore[no-any-return]

    def history(self, account: str, **query: str) -> tuple[int, dict[str, Any], dict[str, str]]:
        return self._account(account, "history", query)  # type: ignore[no-any-return]

    def reconciliation(self, run_id: str = "latest", **kw: Any) -> tuple[int, dict[str, Any], dict[str, str]]:
        kw.setdefault("claims", OPERATOR)
        route = (
            "/v1/admin/reconciliations/latest" if run_id == "latest" else "/v1/admin/reconciliations/{run_id}"
        )
        params = None if run_id == "latest" else {"run_id": run_id}
        return self.call(
            "GET", f"/v1/admin/reconciliations/{run_id}", route=route, path_parameters=params, **kw
        )


@pytest.fixture
def audit_api(ledger_table: str) -> AuditApi:
    return AuditApi()

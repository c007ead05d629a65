"""A pending withdrawal reversed by an operator is voided through the ledger's resolution, so the
withdrawals feature's on_resolve hook gives its amount back to the day's limit in the same transaction."""

from __future__ import annotations

from reward_ledger.ledger import Ledger, hold_account, reconcile, user_account
from tests.audit.conftest import AuditApi
from tests.conftest import Api
from tests.games.conftest import (  # noqa: F401 (fixtures)
    drain,
    games_api,
    games_ledger,
    patch_config,
    withdrawal_queue,
    withdrawals_api,
)
from tests.games.test_withdrawals import earn, status_of, withdraw

CASH = user_account("alice", "cash", "CNY")


def test_a_reversed_pending_withdrawal_gives_the_day_limit_back(
    games_api: Api,  # noqa: F811
    withdrawals_api: Api,  # noqa: F811
    withdrawal_queue: str,  # noqa: F811
    games_ledger: Ledger,  # noqa: F811
    audit_api: AuditApi,
    monkeypatch,
) -> None:
    earn(games_api, 3)  # 36 fen of cash
    patch_config(monkeypatch, "withdrawals", daily_limit=25)
    status, pending, _ = withdraw(withdrawals_api, 20)
    assert status == 202
    drain(withdrawal_queue)  # the worker never runs: the operator cancels it
    assert withdraw(withdrawals_api, 10)[0] == 422  # 20 + 10 > 25 while it is pending
    status, body, _ = audit_api.reverse(pending["withdrawal_id"], "payout cancelled by support")
    assert status == 201, body
    assert body["state"] == "voided"
    assert status_of(withdrawals_api, pending["withdrawal_id"])[1]["status"] == "rejected"
    assert games_ledger.balance(CASH) == 36 and games_ledger.balance(hold_account("CNY")) == 0
    assert withdraw(withdrawals_api, 25)[0] == 202  # the whole limit is back
    assert reconcile().ok

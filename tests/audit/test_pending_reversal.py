"""Game money reversed by an operator: a pending withdrawal is voided through the ledger's resolution (the
withdrawals feature's on_resolve hook gives its amount back to the day's limit in the same transaction);
a credited result is reversed with the games hook giving the grant back to the day's cap counter."""

from __future__ import annotations

from reward_ledger.ledger import Ledger, hold_account, reconcile, user_account
from tests.audit.conftest import AuditApi
from tests.conftest import Api
from tests.games.conftest import (  # noqa: F401 (fixtures)
    Player,
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


def test_a_reversed_game_result_gives_the_cap_back(
    games_api: Api,  # noqa: F811
    games_ledger: Ledger,  # noqa: F811
    audit_api: AuditApi,
    monkeypatch,
) -> None:
    patch_config(monkeypatch, "rewards", daily_cap=20)
    first = Player(games_api).play(score=800, duration_ms=60_000)[1]
    assert (first["status"], first["granted"]) == ("credited", 10)
    assert Player(games_api).play(score=800, duration_ms=60_000)[1]["granted"] == 10
    assert Player(games_api).play(score=800, duration_ms=60_000)[1]["type"] == "daily-cap-reached"
    status, body, _ = audit_api.reverse(first["entry_id"], "score from a known exploit")
    assert status == 201, body
    assert games_ledger.balance(CASH) == 10
    again = Player(games_api).play(score=800, duration_ms=60_000)[1]
    assert (again["status"], again["granted"]) == ("credited", 10)  # the reversed 10 may be earned again
    assert Player(games_api).play(score=800, duration_ms=60_000)[1]["type"] == "daily-cap-reached"
    assert audit_api.reverse(first["entry_id"], "score from a known exploit", key="k2")[0] == 201  # replay
    assert games_ledger.balance(CASH) == 20
    assert reconcile().ok

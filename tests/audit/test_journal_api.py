"""GET /v1/admin/accounts/{account}/balance?at= and /history: any account, from its journal."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest

from reward_ledger import clock
from reward_ledger.config import ledger_settings
from reward_ledger.ledger import EntryRequest, IdempotencyKey, Ledger, Leg, external_account, system_account
from tests.audit.conftest import AuditApi
from tests.conftest import fund

T0 = datetime(2030, 1, 1, 8, 0, tzinfo=UTC)
BUDGET = system_account("budget", "CNY")  # sharded: one history partition per shard


def at(seconds: float) -> str:
    return clock.iso(T0 + timedelta(seconds=seconds))


def test_every_account_kind_keeps_history() -> None:
    policies = ledger_settings().accounts
    assert policies.default.history
    assert all(p.history for p in policies.kinds.values()), "point-in-time needs every kind's journal"


def test_a_balance_at_a_moment_is_exact_to_the_entry(audit_api: AuditApi) -> None:
    account = "user:alice/wallet/CNY"
    for i, amount in enumerate((100, 250, 40)):
        clock.set_now(T0 + timedelta(seconds=i))
        fund("alice", amount, f"f{i}")
    assert audit_api.balance(account, at(-1))[1]["balance"] == 0
    assert audit_api.balance(account, at(0))[1]["balance"] == 100  # the entry's own millisecond counts
    assert audit_api.balance(account, at(0.999))[1]["balance"] == 100
    assert audit_api.balance(account, at(1))[1]["balance"] == 350
    status, body, _ = audit_api.balance(account, "2030-01-01T17:00:02+08:00")  # any offset, same instant
    assert status == 200 and body == {"account": account, "balance": 390, "at": "2030-01-01T09:00:02.000Z"}
    assert audit_api.balance(account)[1]["balance"] == 390  # now
    issuer = audit_api.balance("external:funding/issued/CNY", at(1))[1]
    assert issuer["balance"] == -350  # the issuer's side, from its sharded journal


def test_the_history_of_a_hot_account_pages_over_its_shards(audit_api: AuditApi, ledger: Ledger) -> None:
    issuer = external_account("t", "CNY")
    for i in range(13):
        clock.set_now(T0 + timedelta(milliseconds=i // 3))  # several entries per millisecond
        ledger.transfer(EntryRequest(IdempotencyKey("t", f"k{i}"), "test.fund", [Leg(issuer, BUDGET, i + 1)]))
    # one entry debiting several shards of the same account: one row per shard, all listed
    clock.set_now(T0 + timedelta(seconds=1))
    split = [Leg(BUDGET, issuer, 1, debit_shard=s) for s in range(8) if ledger.shard_balances(BUDGET)[s]]
    ledger.transfer(EntryRequest(IdempotencyKey("t", "split"), "test.split", split))
    seen: list[tuple[str, int, str]] = []
    cursor: str | None = None
    while True:
        query = {"limit": "4", **({"cursor": cursor} if cursor else {})}
        status, body, _ = audit_api.history(str(BUDGET), **query)
        assert status == 200, body
        assert len(body["entries"]) <= 4
        seen.extend((e["entry_id"], e["amount"], e["direction"]) for e in body["entries"])
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 13 + len(split)
    assert [s for s in seen if s[2] == "debit"] == [(seen[0][0], 1, "debit")] * len(split)  # newest first
    assert sorted(a for _, a, d in seen if d == "credit") == list(range(1, 14))
    total = sum(a if d == "credit" else -a for _, a, d in seen)
    assert audit_api.balance(str(BUDGET))[1]["balance"] == total == ledger.balance(BUDGET)


# a user's id in the path is their IdP id (``user:al ice/...`` is the account of the user "al ice"); a
# control character is no user's id
@pytest.mark.parametrize(
    "account", ["nonsense", "user:alice/wallet", "a/b/c/d", "user:al\nice/wallet/CNY", "user:a/wal:let/CNY"]
)
def test_an_account_that_does_not_parse_is_a_400(audit_api: AuditApi, account: str) -> None:
    for reply in (audit_api.balance(account), audit_api.history(account)):
        assert (reply[0], reply[1]["type"]) == (400, "validation-error")


@pytest.mark.parametrize("moment", ["yesterday", "2030-13-01T00:00:00Z", "1", "2030-01-01T25:00"])
def test_a_bad_at_is_a_400(audit_api: AuditApi, moment: str) -> None:
    status, body, _ = audit_api.balance("user:alice/wallet/CNY", moment)
    assert (status, body["type"]) == (400, "validation-error")


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "!!!",
        _b64(b"not json"),
        _b64(b"[1, 2]"),
        _b64(json.dumps({"account": "user:bob/wallet/CNY", "before": "x", "shard": 0}).encode()),
        _b64(json.dumps({"account": "system/budget/CNY", "before": "x", "shard": 99}).encode()),
        _b64(json.dumps({"account": "system/budget/CNY", "before": "x", "shard": -1}).encode()),
        _b64(json.dumps({"account": "system/budget/CNY", "before": "x", "shard": 0, "more": 1}).encode()),
        _b64(json.dumps({"hist_pk": {"S": "system/budget/CNY"}}).encode()),
    ],
)
def test_a_forged_cursor_is_a_400(audit_api: AuditApi, cursor: str) -> None:
    status, body, _ = audit_api.history("system/budget/CNY", cursor=cursor)
    assert (status, body["type"]) == (400, "validation-error")

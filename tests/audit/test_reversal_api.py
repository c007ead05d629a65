"""POST /v1/admin/entries/{entry_id}/reversal and GET /v1/admin/entries/{entry_id}, in process."""

from __future__ import annotations

from reward_ledger.ledger import (
    EntryRequest,
    IdempotencyKey,
    Ledger,
    Leg,
    external_account,
    reconcile,
    user_account,
)
from reward_ledger.savings import SavingsItem, story_sk, user_pk
from tests.audit.conftest import AuditApi
from tests.conftest import fund
from tests.savings.conftest import SavingsApi, books

WALLET = user_account("alice", "wallet", "CNY")
FLOWERS = 1990


def funded_choice(savings: SavingsApi, amount: int = 10_000) -> str:
    fund("alice", amount, "fund-alice")
    status, body, _ = savings.choose("first-date", 1, "flowers", "c1")
    assert status == 201, body
    return str(body["entry_id"])


def chapter_of(user: str, story: str) -> int:
    return int(SavingsItem.get(user_pk(user), story_sk(story)).chapter)


def test_a_reversed_choice_restores_both_balances_and_the_progress(
    audit_api: AuditApi, ledger: Ledger
) -> None:
    savings = SavingsApi()
    entry_id = funded_choice(savings)
    assert books(ledger, "alice") == (10_000 - FLOWERS, FLOWERS)
    status, body, headers = audit_api.reverse(entry_id, "chosen by mistake")
    assert status == 201, body
    assert body["entry_id"] == entry_id and body["reversal_id"] != entry_id
    assert "idempotent-replayed" not in headers
    assert books(ledger, "alice") == (10_000, 0)
    assert chapter_of("alice", "first-date") == 1
    # linked both ways, with the operator and the reason
    status, original, _ = audit_api.entry(entry_id)
    assert status == 200 and original["reversed_by"] == body["reversal_id"]
    assert original["kind"] == "savings.choice" and original["state"] == "posted"
    assert sorted((p["account"], p["delta"]) for p in original["postings"]) == [
        ("user:alice/purse/CNY", FLOWERS),
        ("user:alice/wallet/CNY", -FLOWERS),
    ]
    _, reversal, _ = audit_api.entry(body["reversal_id"])
    assert reversal["kind"] == "savings.choice.reversal"
    assert reversal["metadata"] == {
        "reverses": entry_id,
        "reversed_kind": "savings.choice",
        "operator": "ops-1",
        "reason": "chosen by mistake",
    }
    assert sorted((p["account"], p["delta"]) for p in reversal["postings"]) == [
        ("user:alice/purse/CNY", -FLOWERS),
        ("user:alice/wallet/CNY", FLOWERS),
    ]
    # the chapter can be chosen again, and the books still balance
    assert savings.choose("first-date", 1, "postcard", "c2")[0] == 201
    assert reconcile().ok


def test_a_second_reversal_changes_nothing(audit_api: AuditApi, ledger: Ledger) -> None:
    entry_id = funded_choice(SavingsApi())
    first = audit_api.reverse(entry_id, "duplicate")
    again = audit_api.reverse(entry_id, "duplicate", key="rev-2")
    assert again[0] == 201 and again[1] == first[1] and again[2]["idempotent-replayed"] == "true"
    status, body, _ = audit_api.reverse(entry_id, "another reason", key="rev-3")
    assert (status, body["type"]) == (409, "already-done")
    assert first[1]["reversal_id"] in body["detail"]
    other = {"sub": "ops-2", "scope": "ledger/admin"}
    assert audit_api.reverse(entry_id, "duplicate", key="rev-4", claims=other)[0] == 409
    assert books(ledger, "alice") == (10_000, 0)
    assert chapter_of("alice", "first-date") == 1


def test_a_reversal_that_would_overdraw_is_refused_and_changes_nothing(
    audit_api: AuditApi, ledger: Ledger
) -> None:
    savings = SavingsApi()
    entry_id = funded_choice(savings)
    assert savings.release(FLOWERS, "r1")[0] == 201  # the purse is empty again
    status, body, _ = audit_api.reverse(entry_id)
    assert (status, body["type"]) == (422, "insufficient-funds")
    assert "user:alice/purse/CNY" in body["detail"]
    assert "reversed_by" not in audit_api.entry(entry_id)[1]
    assert chapter_of("alice", "first-date") == 2
    assert books(ledger, "alice") == (10_000, 0)


def test_only_a_storys_latest_choice_can_be_reversed(audit_api: AuditApi, ledger: Ledger) -> None:
    savings = SavingsApi()
    first = funded_choice(savings)
    status, body, _ = savings.choose("first-date", 2, "noodles", "c2")
    assert status == 201
    second = body["entry_id"]
    status, body, _ = audit_api.reverse(first)
    assert (status, body["type"]) == (422, "not-reversible")
    assert "chapter 3" in body["detail"]
    assert audit_api.reverse(second, key="a")[0] == 201
    assert audit_api.reverse(first, key="b")[0] == 201
    assert books(ledger, "alice") == (10_000, 0)
    assert chapter_of("alice", "first-date") == 1
    assert reconcile().ok


def test_kinds_without_a_reversal_hook_are_refused(audit_api: AuditApi, ledger: Ledger) -> None:
    entry_id = funded_choice(SavingsApi())
    reversal_id = audit_api.reverse(entry_id)[1]["reversal_id"]
    status, body, _ = audit_api.reverse(reversal_id, key="again")  # a reversal is final
    assert (status, body["type"]) == (422, "not-reversible")
    other = ledger.transfer(
        EntryRequest(IdempotencyKey("t", "x"), "forest.water", [Leg(WALLET, external_account("t", "CNY"), 5)])
    )
    status, body, _ = audit_api.reverse(other.entry_id, key="water")
    assert (status, body["type"]) == (422, "not-reversible")
    assert "forest.water" in body["detail"]


def test_a_funding_is_reversible_until_the_money_is_spent(audit_api: AuditApi, ledger: Ledger) -> None:
    fund("alice", 500, "f-1")
    entry_id = IdempotencyKey("event:wallet.funded", "f-1").entry_id
    assert audit_api.reverse(entry_id)[0] == 201
    assert ledger.balance(WALLET) == 0
    fund("alice", 3000, "f-2")
    SavingsApi().choose("first-date", 1, "flowers", "c1")
    status, body, _ = audit_api.reverse(IdempotencyKey("event:wallet.funded", "f-2").entry_id, key="k2")
    assert (status, body["type"]) == (422, "insufficient-funds")


def test_a_pending_entry_is_voided_instead(audit_api: AuditApi, ledger: Ledger) -> None:
    fund("alice", 1000, "f-1")
    held = ledger.hold(
        EntryRequest(
            IdempotencyKey("t", "hold"), "test.payout", [Leg(WALLET, external_account("t", "CNY"), 400)]
        )
    )
    assert ledger.balance(WALLET) == 600
    status, body, _ = audit_api.reverse(held.entry_id, "payout cancelled")
    assert status == 201, body
    assert body["entry_id"] == held.entry_id and body["state"] == "voided"
    assert ledger.balance(WALLET) == 1000
    _, entry, _ = audit_api.entry(held.entry_id)
    assert entry["state"] == "voided" and entry["reversed_by"] == body["reversal_id"]
    assert entry["resolved_by"] == "void:operator:ops-1" and entry["resolution_id"] == body["reversal_id"]
    _, resolution, _ = audit_api.entry(body["reversal_id"])
    assert resolution["metadata"]["note"] == "payout cancelled"
    again = audit_api.reverse(held.entry_id, "payout cancelled", key="k2")
    assert again[0] == 201 and again[1] == body and again[2]["idempotent-replayed"] == "true"
    assert ledger.balance(WALLET) == 1000


def test_a_resolved_two_phase_entry_is_not_reversed(audit_api: AuditApi, ledger: Ledger) -> None:
    fund("alice", 1000, "f-1")
    request = EntryRequest(
        IdempotencyKey("t", "h"), "test.payout", [Leg(WALLET, external_account("t", "CNY"), 400)]
    )
    posted = ledger.hold(request).entry_id
    ledger.resolve(posted, "post")
    status, body, _ = audit_api.reverse(posted)
    assert (status, body["type"]) == (422, "not-reversible")
    voided = ledger.hold(EntryRequest(IdempotencyKey("t", "v"), "test.payout", request.legs)).entry_id
    ledger.resolve(voided, "void", actor="worker")
    status, body, _ = audit_api.reverse(voided, key="k2")
    assert (status, body["type"]) == (409, "already-done")
    assert ledger.balance(WALLET) == 600


def test_unknown_and_malformed_entries(audit_api: AuditApi) -> None:
    assert audit_api.entry("enosuchentry")[0] == 404
    assert audit_api.reverse("enosuchentry")[1]["type"] == "not-found"
    assert audit_api.entry("NOT-AN-ID")[1]["type"] == "validation-error"
    for body in ({}, {"reason": ""}, {"reason": "x" * 501}, {"reason": "ok", "amount": 5}):
        assert audit_api.reverse("eabc", body=body)[0] == 400
    status, body, _ = audit_api.call(
        "POST",
        "/v1/admin/entries/eabc/reversal",
        route="/v1/admin/entries/{entry_id}/reversal",
        path_parameters={"entry_id": "eabc"},
        body={"reason": "no key"},
        claims={"sub": "ops", "scope": "ledger/admin"},
    )
    assert (status, body["type"]) == (400, "validation-error")

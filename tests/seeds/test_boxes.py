"""Treasure boxes: granted once per qualifying payment, opened once, draws reproducible from the proof."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from infra.apigw import eventbridge_event
from infra.handlers import invoke
from reward_ledger import clock, seeds
from reward_ledger.errors import IdempotencyConflict, ValidationFailed
from reward_ledger.ledger import Ledger, external_account, reconcile, user_account
from tests.conftest import SEED_ENTRIES, Api

T0 = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)


def pay(payment_id: str, user: str = "alice", amount: int = 2_000, category: str = "offline") -> Any:
    detail = {
        "payment_id": payment_id,
        "user_id": user,
        "amount": amount,
        "category": category,
        "occurred_at": clock.iso(clock.now()),
    }
    return invoke("BoxesFunction", eventbridge_event("payments", "payment.completed", detail))


def open_box(api: Api, box_id: str, key: str, user: str = "alice") -> tuple[int, dict, dict]:
    return api.call(
        "POST",
        f"/v1/seeds/boxes/{box_id}/open",
        route="/v1/seeds/boxes/{box_id}/open",
        path_parameters={"box_id": box_id},
        body={},
        headers={"Idempotency-Key": key},
        user=user,
    )


def seeds_of(ledger: Ledger, user: str) -> int:
    return ledger.balance(user_account(user, "seeds", "SEED"))


@pytest.fixture(autouse=True)
def _pinned_clock(ledger_table: str) -> None:
    clock.set_now(T0)


def test_a_qualifying_payment_grants_one_box_even_when_redelivered(seeds_api: Api) -> None:
    first = pay("pay-1")
    again = pay("pay-1")
    assert first["granted"]
    assert not first["replayed"]
    assert again == {**first, "replayed": True}
    status, body, _ = seeds_api.call("GET", "/v1/seeds/boxes")
    assert status == 200
    assert [(b["box_id"], b["state"]) for b in body["boxes"]] == [(first["box_id"], "unopened")]
    assert first["box_id"] == seeds.box_id_for("pay-1")
    # the same payment id with another amount is not a redelivery: it fails loudly (DLQ), no second box
    with pytest.raises(IdempotencyConflict):
        pay("pay-1", amount=3_000)


@pytest.mark.parametrize(
    ("category", "amount"), [("bike", 2_000), ("transit", 2_000), ("nonsense", 2_000), ("offline", 99)]
)
def test_non_qualifying_payments_grant_nothing(seeds_api: Api, category: str, amount: int) -> None:
    assert pay("pay-x", category=category, amount=amount) == {"granted": False}
    _, body, _ = seeds_api.call("GET", "/v1/seeds/boxes")
    assert body["boxes"] == []
    assert reconcile().entries == SEED_ENTRIES  # nothing beyond the seed


def test_daily_box_cap_per_user_and_local_day(seeds_api: Api) -> None:
    cap = seeds.settings().boxes.daily_cap
    granted = [pay(f"p{i}")["granted"] for i in range(cap + 2)]
    assert granted == [True] * cap + [False, False]
    assert pay("p0")["replayed"]  # a redelivery of a granted payment still answers its box
    assert pay("bob-1", user="bob")["granted"]  # other users are not affected
    clock.set_now(T0 + timedelta(days=1))
    assert pay("next-day")["granted"]
    _, body, _ = seeds_api.call("GET", "/v1/seeds/boxes")
    assert len(body["boxes"]) == cap + 1


@pytest.mark.parametrize(
    "detail",
    [
        {
            "payment_id": "p",
            "user_id": "alice",
            "amount": 1.5,
            "category": "offline",
            "occurred_at": "2026-11-23T00:00:00Z",
        },
        {
            "payment_id": "p",
            "user_id": "a\tb",  # a control character ("a/b" is an encodable IdP id)
            "amount": 100,
            "category": "offline",
            "occurred_at": "2026-11-23T00:00:00Z",
        },
        {
            "payment_id": "p",
            "user_id": "alice",
            "amount": 100,
            "category": "offline",
            "occurred_at": "yesterday",
        },
        {"user_id": "alice", "amount": 100, "category": "offline", "occurred_at": "2026-11-23T00:00:00Z"},
    ],
)
def test_malformed_payment_events_fail_loudly(ledger_table: str, detail: dict) -> None:
    with pytest.raises(ValidationFailed):
        invoke("BoxesFunction", eventbridge_event("payments", "payment.completed", detail))
    assert reconcile().entries == SEED_ENTRIES  # nothing beyond the seed


def test_a_box_opens_once(seeds_api: Api, ledger: Ledger) -> None:
    box_id = pay("pay-1")["box_id"]
    status, body, headers = open_box(seeds_api, box_id, "open-1")
    assert status == 201, body
    assert "idempotent-replayed" not in headers
    won = body["seeds"]
    assert won >= 1
    assert body["proof"]["box_id"] == box_id
    assert seeds_of(ledger, "alice") == won

    # same key: the first answer, replayed; nothing credited twice
    status, again, headers = open_box(seeds_api, box_id, "open-1")
    assert (status, again, headers["idempotent-replayed"]) == (201, body, "true")
    # another key: the box is already opened
    status, problem, headers = open_box(seeds_api, box_id, "open-2")
    assert (status, problem["type"]) == (409, "already-done")
    assert headers["content-type"] == "application/problem+json"
    assert seeds_of(ledger, "alice") == won
    assert ledger.balance(external_account("seeds", "SEED")) == -won

    _, listed, _ = seeds_api.call("GET", "/v1/seeds/boxes")
    assert listed["boxes"][0]["state"] == "opened"
    assert listed["boxes"][0]["seeds"] == won
    assert reconcile().ok


def test_only_the_owner_can_open_a_box(seeds_api: Api, ledger: Ledger) -> None:
    box_id = pay("pay-1")["box_id"]
    status, body, _ = open_box(seeds_api, box_id, "k", user="mallory")
    assert (status, body["type"]) == (404, "not-found")
    status, body, _ = open_box(seeds_api, "bx-does-not-exist", "k2")
    assert (status, body["type"]) == (404, "not-found")
    assert seeds_of(ledger, "mallory") == 0
    # the refused attempts did not burn the box
    assert open_box(seeds_api, box_id, "k")[0] == 201


@pytest.mark.parametrize(
    ("box_id", "body", "headers"),
    [
        ("bx1", {"extra": 1}, {"Idempotency-Key": "k"}),
        ("bx1", {}, {}),
        ("bx1", {}, {"Idempotency-Key": "bad key!"}),
        ("b" * 65, {}, {"Idempotency-Key": "k"}),
        ("bx1", "not json", {"Idempotency-Key": "k"}),
    ],
)
def test_bad_open_requests_are_400(seeds_api: Api, box_id: str, body: Any, headers: dict) -> None:
    status, problem, _ = seeds_api.call(
        "POST",
        f"/v1/seeds/boxes/{box_id}/open",
        route="/v1/seeds/boxes/{box_id}/open",
        path_parameters={"box_id": box_id},
        body=body,
        headers=headers,
    )
    assert (status, problem["type"]) == (400, "validation-error"), problem


def _independent_draw(secret_hex: str, box_id: str, table: dict) -> int:
    """The documented algorithm, written out from the published table only (no code shared)."""
    mac = hmac.new(bytes.fromhex(secret_hex), box_id.encode(), hashlib.sha256).hexdigest()
    roll = int(mac[:16], 16) % sum(row["weight"] for row in table["rows"])
    for row in table["rows"]:
        if roll < row["weight"]:
            return int(row["seeds"])
        roll -= row["weight"]
    raise AssertionError("roll outside the table")


def test_draws_are_reproducible_from_the_proof_once_the_epoch_is_revealed(
    seeds_api: Api, ledger: Ledger
) -> None:
    opened = []
    for i in range(12):
        box_id = pay(f"pay-{i}", user=f"u{i}")["box_id"]
        status, body, _ = open_box(seeds_api, box_id, "k", user=f"u{i}")
        assert status == 201
        opened.append(body)
    epoch = opened[0]["proof"]["epoch"]
    assert epoch == "2026-11-23"

    # during the epoch only the commitment is public
    _, during, _ = seeds_api.call(
        "GET", f"/v1/seeds/epochs/{epoch}", route="/v1/seeds/epochs/{epoch}", path_parameters={"epoch": epoch}
    )
    assert during["revealed"] is False
    assert during["secret"] is None
    assert during["commitment"] == opened[0]["proof"]["commitment"]

    clock.set_now(T0 + timedelta(days=1))
    _, after, _ = seeds_api.call(
        "GET", f"/v1/seeds/epochs/{epoch}", route="/v1/seeds/epochs/{epoch}", path_parameters={"epoch": epoch}
    )
    assert after["revealed"] is True
    secret = after["secret"]
    assert hashlib.sha256(bytes.fromhex(secret)).hexdigest() == during["commitment"]

    _, published, _ = seeds_api.call("GET", "/v1/seeds/prize-tables")
    tables = {t["version"]: t for t in published["tables"]}
    for body in opened:
        proof = body["proof"]
        assert (
            hmac.new(bytes.fromhex(secret), proof["box_id"].encode(), hashlib.sha256).hexdigest()
            == proof["hmac"]
        )
        assert _independent_draw(secret, proof["box_id"], tables[proof["table_version"]]) == body["seeds"]
        assert seeds.verify(proof, secret) == body["seeds"]
    assert sum(seeds_of(ledger, f"u{i}") for i in range(12)) == sum(b["seeds"] for b in opened)


def test_a_wrong_secret_or_a_doctored_proof_does_not_verify(seeds_api: Api) -> None:
    box_id = pay("pay-1")["box_id"]
    _, body, _ = open_box(seeds_api, box_id, "k")
    proof = body["proof"]
    secret = seeds.epoch_secret(proof["epoch"]).hex()
    assert seeds.verify(proof, secret) == body["seeds"]
    with pytest.raises(ValueError, match="commitment"):
        seeds.verify(proof, seeds.epoch_secret("2026-11-24").hex())
    with pytest.raises(ValueError, match="recomputed"):
        seeds.verify({**proof, "roll": (proof["roll"] + 1) % proof["total_weight"]}, secret)


def test_future_epochs_are_never_revealed(seeds_api: Api) -> None:
    view = seeds.epoch_view("2026-11-24")
    assert view.secret is None
    assert len(view.commitment) == 64
    status, body, _ = seeds_api.call(
        "GET",
        "/v1/seeds/epochs/tomorrow",
        route="/v1/seeds/epochs/{epoch}",
        path_parameters={"epoch": "tomorrow"},
    )
    assert (status, body["type"]) == (400, "validation-error")


@settings(max_examples=200, deadline=None)
@given(
    box_id=st.from_regex(r"[A-Za-z0-9_.-]{1,64}", fullmatch=True), secret=st.binary(min_size=16, max_size=32)
)
def test_any_draw_lands_on_a_table_row_and_verifies(box_id: str, secret: bytes) -> None:
    table = seeds.prize_table()
    mac, roll, row, won = seeds.compute_draw(secret, box_id, table)
    assert 0 <= roll < table.total_weight
    assert won == table.rows[row].seeds
    published = {"rows": [r.model_dump() for r in table.rows]}
    assert _independent_draw(secret.hex(), box_id, published) == won
    proof = {
        "box_id": box_id,
        "commitment": seeds.commitment(secret),
        "table_version": table.version,
        "hmac": mac,
        "roll": roll,
        "row": row,
    }
    assert seeds.verify(proof, secret.hex()) == won

"""Gift cards: bought from the wallet, captured at the card's merchant only and never below zero (a
replay answers the first capture), given to a friend once, listed with balances."""

from __future__ import annotations

from reward_ledger.friends import befriend
from reward_ledger.giftcards.items import captured_account
from reward_ledger.ledger import Ledger
from reward_ledger.users import wallet_account
from tests.conftest import fund
from tests.programs.conftest import Caller, register, staff

CAPTURE = "/v1/merchants/{merchant_id}/gift-cards/{card_id}/captures"


def buy(api: Caller, user: str, amount: int) -> tuple[int, dict]:
    return api.post(
        "/v1/merchants/m1/gift-cards",
        "/v1/merchants/{merchant_id}/gift-cards",
        {"amount": amount},
        {"sub": user},
        merchant_id="m1",
    )


def capture(api: Caller, merchant: str, card: str, amount: int, key: str | None = None) -> tuple[int, dict]:
    path = f"/v1/merchants/{merchant}/gift-cards/{card}/captures"
    body = {"amount": amount, "order_id": f"o-{key or api.keys}"}
    return api.post(path, CAPTURE, body, staff(merchant), key, merchant_id=merchant, card_id=card)


def test_captures_stop_at_zero_at_the_cards_merchant_only(ledger_table: str, ledger: Ledger) -> None:
    api = Caller("GiftCardsFunction")
    register("m1")
    register("m2")
    fund("alice", 5_000)
    status, card = buy(api, "alice", 3_000)
    assert status == 201 and card["balance"] == 3_000, card
    assert buy(api, "alice", 9_000)[1]["type"] == "insufficient-funds"
    card_id = card["card_id"]
    assert capture(api, "m2", card_id, 1_000)[0] == 404  # another merchant's staff: not their card
    balances = [capture(api, "m1", card_id, 1_000, key=f"c{n}")[1].get("balance") for n in range(3)]
    assert balances == [2_000, 1_000, 0]
    status, body = capture(api, "m1", card_id, 1_000)
    assert status == 422 and body["type"] == "insufficient-funds"
    assert capture(api, "m1", card_id, 1_000, key="c0")[1]["balance"] == 2_000  # a replay answers the first
    assert ledger.balance(captured_account("m1")) == 3_000
    assert ledger.balance(wallet_account("alice")) == 2_000


def test_a_card_is_given_to_a_friend_once(ledger_table: str) -> None:
    api = Caller("GiftCardsFunction")
    register("m1")
    fund("alice", 5_000)
    card_id = buy(api, "alice", 2_000)[1]["card_id"]
    give = "/v1/me/gift-cards/{card_id}/gift"
    path = f"/v1/me/gift-cards/{card_id}/gift"
    status, body = api.post(path, give, {"friend_id": "bob"}, {"sub": "alice"}, card_id=card_id)
    assert status == 403  # not friends yet
    befriend("alice", "bob")
    befriend("bob", "alice")
    befriend("bob", "carol")
    befriend("carol", "bob")
    status, body = api.post(path, give, {"friend_id": "bob"}, {"sub": "alice"}, card_id=card_id)
    assert status == 201 and body == {"card_id": card_id, "owner": "bob"}
    status, body = api.post(path, give, {"friend_id": "carol"}, {"sub": "bob"}, card_id=card_id)
    assert status == 409 and body["type"] == "already-done"
    assert api.get("/v1/me/gift-cards", "alice")[1] == {"cards": []}
    assert api.get("/v1/me/gift-cards", "bob")[1]["cards"] == [
        {"card_id": card_id, "merchant_id": "m1", "balance": 2_000}
    ]

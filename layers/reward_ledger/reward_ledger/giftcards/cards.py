"""Buying, capturing, giving and listing gift cards; every movement is one ledger entry.

A capture is one ``TransactWriteItems``: the card account -> the merchant's ``captured`` (never below
zero) and the card item's ``balance`` set from the balance the capture expects, under the condition that
it is still that (and that the card is this merchant's). The expected balance is kept in the ledger's
memo; a racing capture makes the condition fail, and the failure's old image gives the true balance, so
the capture tries again without a read, or answers 422 ``insufficient-funds`` once the rest is too
small: racing captures are exact.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reward_ledger import clock
from reward_ledger.errors import (
    AlreadyDone,
    Forbidden,
    InsufficientFunds,
    LedgerError,
    NotFound,
    RetriesExhausted,
)
from reward_ledger.friends import mutual_guard
from reward_ledger.giftcards.items import (
    GiftCard,
    OwnedCard,
    captured_account,
    card_account,
    card_pk,
    owner_pk,
    settings,
)
from reward_ledger.ledger import EntryRequest, EntryResult, Guard, IdempotencyKey, Ledger, Leg, unconditional
from reward_ledger.merchant_refs import merchant_exists_guard
from reward_ledger.users import wallet_account

BUY_KIND = "giftcard.bought"
CAPTURE_KIND = "giftcard.captured"
GIVE_KIND = "giftcard.given"
_MEMO_TOPIC = "giftcard-balance"


class _Moved(LedgerError):
    """The card's balance is not what this capture expected (internal: try again with ``balance``)."""


def buy(ledger: Ledger, user_id: str, merchant_id: str, amount: int, idem: IdempotencyKey) -> EntryResult:
    """wallet -> a new card of ``merchant_id`` (422 ``insufficient-funds`` when the wallet is short)."""
    card_id = "gc" + idem.entry_id[1:19]
    card = GiftCard(
        pk=card_pk(card_id),
        card_id=card_id,
        merchant_id=merchant_id,
        owner=user_id,
        balance=amount,
        issued_at=clock.iso(clock.now()),
    )
    return ledger.transfer(
        EntryRequest(
            idempotency=idem,
            kind=BUY_KIND,
            legs=[Leg(wallet_account(user_id), card_account(card_id), amount)],
            guards=[
                merchant_exists_guard(merchant_id),
                Guard.put(card, GiftCard.pk.does_not_exist(), lambda _old: AlreadyDone("card exists")),
                Guard.put(OwnedCard(pk=owner_pk(user_id), sk=card_id), None, unconditional),
            ],
            metadata={"card_id": card_id, "merchant_id": merchant_id, "user_id": user_id},
            response={"card_id": card_id, "merchant_id": merchant_id, "balance": amount},
        )
    )


def _refused(merchant_id: str, card_id: str) -> Any:
    def refused(old: Mapping[str, Any] | None) -> LedgerError:
        if not old or old.get("merchant_id", {}).get("S") != merchant_id:
            return NotFound(f"no gift card {card_id!r} at {merchant_id!r}")
        return _Moved("balance moved", balance=int(old["balance"]["N"]))

    return refused


def capture(
    ledger: Ledger,
    merchant_id: str,
    card_id: str,
    amount: int,
    order_id: str,
    actor: str,
    idem: IdempotencyKey,
) -> EntryResult:
    """Take ``amount`` from the card at the merchant's checkout, exactly once per key."""
    expected = ledger.memo.kept(_MEMO_TOPIC, card_id)
    if not isinstance(expected, int):
        try:
            card = GiftCard.get(card_pk(card_id), "CARD", consistent_read=True)
        except GiftCard.DoesNotExist as exc:
            raise NotFound(f"no gift card {card_id!r} at {merchant_id!r}") from exc
        expected = int(card.balance)
    for _ in range(settings().max_capture_attempts):
        left = expected - amount
        guard = Guard.update(
            GiftCard(pk=card_pk(card_id), sk="CARD"),
            [GiftCard.balance.set(left)],
            (GiftCard.merchant_id == merchant_id) & (GiftCard.balance == expected),
            _refused(merchant_id, card_id),
        )
        request = EntryRequest(
            idempotency=idem,
            kind=CAPTURE_KIND,
            legs=[Leg(card_account(card_id), captured_account(merchant_id), amount)],
            guards=[guard],
            metadata={"card_id": card_id, "merchant_id": merchant_id, "order_id": order_id, "actor": actor},
            response={"card_id": card_id, "captured": amount, "balance": left},
        )
        try:
            # a replay of a committed capture still answers: only a new one is refused
            if left < 0 and ledger.entry(idem.entry_id) is None:
                raise InsufficientFunds(f"gift card {card_id} holds {expected}, not {amount}")
            result = ledger.transfer(request)
        except _Moved as moved:
            expected = int(moved.context["balance"])
            continue
        ledger.memo.keep(_MEMO_TOPIC, card_id, int((result.response or {}).get("balance", left)))
        return result
    raise RetriesExhausted(f"gift card {card_id} kept changing")


def give(ledger: Ledger, user_id: str, card_id: str, friend_id: str, idem: IdempotencyKey) -> EntryResult:
    """Give the card to a mutual friend, once (the first owner only)."""
    if friend_id == user_id:
        raise Forbidden("a card is given to a friend, not to yourself")

    def refused(old: Mapping[str, Any] | None) -> LedgerError:
        if not old or old.get("owner", {}).get("S") != user_id:
            return NotFound(f"you hold no gift card {card_id!r}")
        return AlreadyDone(f"gift card {card_id!r} was already given once")

    guards = [
        Guard.update(
            GiftCard(pk=card_pk(card_id), sk="CARD"),
            [GiftCard.owner.set(friend_id), GiftCard.given.set(True)],
            (GiftCard.owner == user_id) & (GiftCard.given == False),  # noqa: E712 (a condition, not a test)
            refused,
        ),
        mutual_guard(user_id, friend_id),
        Guard.delete(OwnedCard(pk=owner_pk(user_id), sk=card_id), None, unconditional),
        Guard.put(OwnedCard(pk=owner_pk(friend_id), sk=card_id), None, unconditional),
    ]
    return ledger.transfer(
        EntryRequest(
            idempotency=idem,
            kind=GIVE_KIND,
            guards=guards,
            metadata={"card_id": card_id, "from": user_id, "to": friend_id},
            response={"card_id": card_id, "owner": friend_id},
        )
    )


def my_cards(ledger: Ledger, user_id: str) -> list[dict[str, Any]]:
    ids = [row.sk for row in OwnedCard.query(owner_pk(user_id), limit=settings().max_listed)]
    cards = [c for c in GiftCard.batch_get([(card_pk(c), "CARD") for c in ids]) if c.owner == user_id]
    balances = ledger.balances([card_account(c.card_id) for c in cards])
    return [
        {"card_id": c.card_id, "merchant_id": c.merchant_id, "balance": balances[card_account(c.card_id)]}
        for c in sorted(cards, key=lambda c: str(c.issued_at))
    ]

"""Lending: borrow (a two-phase hold), return (void), and the timeout's forfeit (post, by the sweep)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Literal

from pydantic import Field
from pynamodb.exceptions import DoesNotExist

from reward_ledger import clock
from reward_ledger.errors import AlreadyDone, Expired, InsufficientFunds, NotFound, OutOfStock, RateLimited
from reward_ledger.ledger import (
    EntryRequest,
    EntryResult,
    Guard,
    IdempotencyKey,
    Ledger,
    Leg,
    entry_key,
    expiry_for,
)
from reward_ledger.rentals.config import cabinet_of, item_of, settings
from reward_ledger.rentals.history import (
    FORFEITED,
    RENTAL_KIND,
    RentalHistory,
    RentalReturn,
    cabinet_stock,
    deposit_account,
    history_key,
    tier_of,
    unreturned_account,
)
from reward_ledger.rentals.trust import MAX_RETURN_ATTEMPTS, CountedMeanwhile
from reward_ledger.replies import Reply


def borrow(
    ledger: Ledger, user_id: str, cabinet_id: str, item_name: str, idem: IdempotencyKey
) -> EntryResult:
    """Take one item out of a cabinet: hold the deposit (unless waived) and the unit, due in loan_hours."""
    cabinet_of(cabinet_id)
    item = item_of(item_name)
    tier, record = tier_of(ledger, user_id)
    now = clock.now()
    due = now + timedelta(hours=item.loan_hours)
    deposit = 0 if tier.waive_deposit else item.deposit
    stock = cabinet_stock(cabinet_id, item.asset)
    legs = [Leg(stock, unreturned_account(user_id, item.asset), 1)]
    if deposit:
        legs.insert(0, Leg(deposit_account(user_id), FORFEITED, deposit))
    rental_id = idem.entry_id
    limit = settings().max_out_per_user
    history = Guard.update(
        RentalHistory(pk=history_key(user_id), sk="HISTORY"),
        [RentalHistory.borrowed.add(1), RentalHistory.out.add(1)],
        RentalHistory.out.does_not_exist() | (RentalHistory.out < limit),
        lambda old: RateLimited(f"at most {limit} rentals at once: return one first"),
    )
    request = EntryRequest(
        idempotency=idem,
        kind=RENTAL_KIND,
        legs=legs,
        guards=[history],
        metadata={
            "user_id": user_id,
            "cabinet_id": cabinet_id,
            "item": item.item,
            "asset": item.asset,
            "deposit": deposit,
            "tier": tier.tier,
            "due_at": clock.iso(due),
        },
        response={
            "rental_id": rental_id,
            "deposit_held": deposit,
            "due_at": clock.iso(due),
            "tier": tier.tier,
            "qualifying_returns": record["qualifying"],
        },
    )
    try:
        return ledger.hold(
            request, expiry=expiry_for(entry_key(rental_id), due), on_timeout=settings().on_timeout
        )
    except InsufficientFunds as exc:
        if exc.context.get("account") == str(stock):
            raise OutOfStock(f"cabinet {cabinet_id} has no {item.item} left") from exc
        raise


def _own_rental(ledger: Ledger, user_id: str, rental_id: str) -> tuple[str, dict[str, Any]]:
    """The rental's state and metadata; 404 unless it is the caller's rental."""
    header = ledger.entry(rental_id)
    metadata = dict(header.metadata or {}) if header is not None else {}
    if header is None or header.kind != RENTAL_KIND or metadata.get("user_id") != user_id:
        raise NotFound(f"no rental {rental_id}")
    return str(header.state), metadata


def return_rental(ledger: Ledger, user_id: str, rental_id: str, idem: IdempotencyKey) -> EntryResult:
    """Return the item: void the hold (deposit and unit back; the trust count in the same transaction, see
    :mod:`~reward_ledger.rentals.trust`), then record the return under the caller's key.

    Two writes, both idempotent: a retry after a crash between them replays the void and records the
    return. An overdue rental already posted by the timeout sweep answers 409 already-done.
    """
    _, metadata = _own_rental(ledger, user_id, rental_id)
    for attempt in range(1, MAX_RETURN_ATTEMPTS + 1):
        try:
            ledger.resolve(rental_id, "void", actor=f"user:{user_id}", note="returned")
            break
        except AlreadyDone as exc:
            raise Expired(f"rental {rental_id} is over: it was not returned in time") from exc
        except CountedMeanwhile:
            if attempt == MAX_RETURN_ATTEMPTS:
                raise
    try:
        marker = RentalReturn.get(f"RENTAL#{rental_id}", "RETURN", consistent_read=True)
    except DoesNotExist as exc:  # voided before returns were recorded by the void itself
        raise AlreadyDone(f"rental {rental_id} was already returned") from exc
    return ledger.transfer(
        EntryRequest(
            idempotency=idem,
            kind="rental.returned",
            guards=[
                Guard.update(
                    marker,
                    [RentalReturn.recorded.set(True)],
                    RentalReturn.outcome.exists() & RentalReturn.recorded.does_not_exist(),
                    lambda old: AlreadyDone(f"rental {rental_id} was already returned"),
                )
            ],
            metadata={"rental_id": rental_id, "user_id": user_id, "on_time": bool(marker.on_time)},
            response={
                "status": "returned",
                "rental_id": rental_id,
                "on_time": bool(marker.on_time),
                "deposit_refunded": int(metadata.get("deposit", 0)),
                "trust_outcome": marker.outcome,
            },
        )
    )


class Rental(Reply):
    """One of the caller's rentals."""

    rental_id: str
    cabinet_id: str
    item: str
    deposit_held: int = Field(description="fen")
    due_at: str = Field(description="ISO-8601 UTC")
    status: Literal["out", "returned", "forfeited"]


def rental_view(ledger: Ledger, user_id: str, rental_id: str) -> Rental:
    state, metadata = _own_rental(ledger, user_id, rental_id)
    return Rental.model_validate(
        {
            "rental_id": rental_id,
            "cabinet_id": metadata["cabinet_id"],
            "item": metadata["item"],
            "deposit_held": metadata["deposit"],
            "due_at": metadata["due_at"],
            "status": {"pending": "out", "voided": "returned", "posted": "forfeited"}.get(state, state),
        }
    )

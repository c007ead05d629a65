"""Deposit-free rentals from sharing cabinets.

A rental is ONE two-phase ledger entry (``Ledger.hold``) with up to two legs, each parked in
``system/hold/<asset>`` while the item is out:

* deposit ``user:<u>/wallet/CNY -> system/forfeited/CNY`` (left out when the user's trust tier waives it);
* item ``cabinet:<c>/stock/<ASSET> -> user:<u>/unreturned/<ASSET>`` (one unit: cabinets are counted stock,
  a ledger account per cabinet and item type, so an empty cabinet refuses the rental in the same write).

A return voids the entry (deposit back to the wallet, the unit back into the cabinet's stock). No return by
the due time: the entry's expiry (``on_timeout="post"``) lets the scheduled hold-timeout sweep post it
(``Ledger.time_out``): the deposit goes to ``system/forfeited/CNY`` and the unit to the user's
``unreturned`` book, which is how a default is recorded, atomically, in the forfeit transaction itself.
Void and post are exclusive and happen once (the core's guard on the pending state).

Trust tier: from the user's own history, ``on_time`` returns (a small history item updated by the return
transaction) and ``defaults`` (the user's ``unreturned`` balances). The first configured tier whose rules
hold applies; only a tier with ``waive_deposit`` borrows without a deposit.
"""

from __future__ import annotations

from datetime import timedelta
from functools import cache
from typing import Any, Literal

from pydantic import BaseModel, Field, NonNegativeInt, PositiveInt, model_validator
from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist
from pynamodb.models import Model

from reward_ledger import clock
from reward_ledger.config import StrictModel, load_model
from reward_ledger.errors import AlreadyDone, InsufficientFunds, NotFound, OutOfStock, RateLimited
from reward_ledger.ledger import (
    Account,
    EntryRequest,
    EntryResult,
    Guard,
    IdempotencyKey,
    Ledger,
    Leg,
    entry_key,
    expiry_for,
    external_account,
    on_resolve,
    register_model,
    system_account,
    unconditional,
    user_account,
)
from reward_ledger.ledger.models import EntryItem, LedgerTableMeta

ID_PATTERN = r"^[A-Za-z0-9_.-]{1,64}$"
RENTAL_KIND = "rental"


# ---------------------------------------------------------------------------------------------- config
class RentalItem(StrictModel):
    item: str = Field(pattern=ID_PATTERN)
    asset: str = Field(pattern=r"^[A-Z][A-Z0-9]{0,15}$")
    deposit: PositiveInt
    loan_hours: PositiveInt


class CabinetBatch(StrictModel):
    batch_id: str = Field(pattern=ID_PATTERN)
    item: str
    units: PositiveInt


class Cabinet(StrictModel):
    cabinet_id: str = Field(pattern=ID_PATTERN)
    location: str
    batches: list[CabinetBatch] = Field(default_factory=list)


class Tier(StrictModel):
    tier: str
    min_on_time: NonNegativeInt
    max_defaults: NonNegativeInt | None = None  # None: any number of defaults
    waive_deposit: bool

    def admits(self, on_time: int, defaults: int) -> bool:
        within = self.max_defaults is None or defaults <= self.max_defaults
        return on_time >= self.min_on_time and within


class RentalSettings(BaseModel):
    on_timeout: Literal["post"]
    max_out_per_user: PositiveInt
    items: list[RentalItem]
    cabinets: list[Cabinet]
    tiers: list[Tier] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> RentalSettings:
        names = {i.item for i in self.items}
        for cab in self.cabinets:
            for batch in cab.batches:
                if batch.item not in names:
                    raise ValueError(f"cabinet {cab.cabinet_id}: unknown item {batch.item}")
        batch_ids = [b.batch_id for c in self.cabinets for b in c.batches]
        if len(set(batch_ids)) != len(batch_ids):
            raise ValueError("cabinet batch ids must be unique")
        last = self.tiers[-1]
        if last.min_on_time or last.max_defaults is not None or last.waive_deposit:
            raise ValueError("the last tier must admit everyone (no rules) and keep the deposit")
        return self


@cache
def settings() -> RentalSettings:
    return load_model("rentals", RentalSettings)


def item_of(name: str) -> RentalItem:
    for item in settings().items:
        if item.item == name:
            return item
    raise NotFound(f"no rental item {name!r}")


def cabinet_of(cabinet_id: str) -> Cabinet:
    for cab in settings().cabinets:
        if cab.cabinet_id == cabinet_id:
            return cab
    raise NotFound(f"no cabinet {cabinet_id!r}")


# ---------------------------------------------------------------------------------------------- accounts
def cabinet_stock(cabinet_id: str, asset: str) -> Account:
    return Account(f"cabinet:{cabinet_id}", "stock", asset)


def unreturned_account(user_id: str, asset: str) -> Account:
    return user_account(user_id, "unreturned", asset)


def deposit_account(user_id: str) -> Account:
    return user_account(user_id, "wallet", "CNY")


FORFEITED = system_account("forfeited", "CNY")


# ---------------------------------------------------------------------------------------------- state
@register_model
class RentalHistory(Model):
    """A user's rental record: rentals started, returns before the due time, late returns."""

    class Meta(LedgerTableMeta):
        pass

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default="HISTORY")
    borrowed = NumberAttribute(default=0)
    on_time = NumberAttribute(default=0)
    late = NumberAttribute(default=0)
    out = NumberAttribute(null=True)  # rentals not over yet (neither returned nor forfeited)


@register_model
class RentalReturn(Model):
    """Marks a rental returned: the guard that makes a second return (another key) a 409."""

    class Meta(LedgerTableMeta):
        pass

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default="RETURN")
    user_id = UnicodeAttribute()
    returned_at = UnicodeAttribute()
    on_time = BooleanAttribute()


def history_key(user_id: str) -> str:
    return f"RENTHIST#{user_id}"


def history_of(ledger: Ledger, user_id: str) -> dict[str, int]:
    """``borrowed``, ``on_time``, ``late`` (history item) and ``defaults`` (unreturned units, all items)."""
    try:
        item = RentalHistory.get(history_key(user_id), "HISTORY", consistent_read=True)
        counts = {"borrowed": int(item.borrowed), "on_time": int(item.on_time), "late": int(item.late)}
    except DoesNotExist:
        counts = {"borrowed": 0, "on_time": 0, "late": 0}
    assets = sorted({i.asset for i in settings().items})
    balances = ledger.balances([unreturned_account(user_id, a) for a in assets])
    counts["defaults"] = sum(balances.values())
    return counts


def tier_of(ledger: Ledger, user_id: str) -> tuple[Tier, dict[str, int]]:
    history = history_of(ledger, user_id)
    for tier in settings().tiers:
        if tier.admits(history["on_time"], history["defaults"]):
            return tier, history
    raise AssertionError("the last tier admits everyone")  # pragma: no cover - validated at load


# ---------------------------------------------------------------------------------------------- stock
def issue_cabinet_stock(ledger: Ledger, cabinet_id: str, batch: CabinetBatch) -> EntryResult:
    asset = item_of(batch.item).asset
    idem = IdempotencyKey(
        "stock:cabinet", batch.batch_id, {"cabinet_id": cabinet_id, "item": batch.item, "units": batch.units}
    )
    return ledger.transfer(
        EntryRequest(
            idempotency=idem,
            kind="cabinet.stock.issued",
            legs=[Leg(external_account("rentals", asset), cabinet_stock(cabinet_id, asset), batch.units)],
            metadata={"cabinet_id": cabinet_id, "batch_id": batch.batch_id},
            response={"entry_id": idem.entry_id, "units": batch.units},
        )
    )


def issue_configured_stock(ledger: Ledger) -> dict[str, int]:
    """Issue every configured cabinet batch not issued yet; units newly issued per cabinet."""
    issued: dict[str, int] = {}
    for cab in settings().cabinets:
        for batch in cab.batches:
            if not issue_cabinet_stock(ledger, cab.cabinet_id, batch).replayed:
                issued[cab.cabinet_id] = issued.get(cab.cabinet_id, 0) + batch.units
    return issued


def cabinet_view(ledger: Ledger, cabinet_id: str) -> dict[str, Any]:
    cab = cabinet_of(cabinet_id)
    items = settings().items
    stock = ledger.balances([cabinet_stock(cabinet_id, i.asset) for i in items])
    return {
        "cabinet_id": cab.cabinet_id,
        "location": cab.location,
        "items": [
            {
                "item": i.item,
                "available": stock[cabinet_stock(cabinet_id, i.asset)],
                "deposit": i.deposit,
                "loan_hours": i.loan_hours,
            }
            for i in items
        ],
    }


# ---------------------------------------------------------------------------------------------- rentals
def borrow(
    ledger: Ledger, user_id: str, cabinet_id: str, item_name: str, idem: IdempotencyKey
) -> EntryResult:
    """Take one item out of a cabinet: hold the deposit (unless waived) and the unit, due in loan_hours."""
    cabinet_of(cabinet_id)
    item = item_of(item_name)
    tier, _ = tier_of(ledger, user_id)
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


def _rental_over(header: EntryItem, _action: Literal["post", "void"]) -> list[Guard]:
    """Returned (void) or forfeited (post, by the timeout sweep): one rental fewer out, in the same
    transaction, whoever ends it."""
    user_id = str((header.metadata or {}).get("user_id", ""))
    if not user_id:
        return []
    return [
        Guard.update(
            RentalHistory(pk=history_key(user_id), sk="HISTORY"),
            [RentalHistory.out.add(-1)],
            None,
            unconditional,
        )
    ]


on_resolve(RENTAL_KIND, _rental_over)


def _own_rental(ledger: Ledger, user_id: str, rental_id: str) -> tuple[str, dict[str, Any]]:
    """The rental's state and metadata; 404 unless it is the caller's rental."""
    header = ledger.entry(rental_id)
    metadata = dict(header.metadata or {}) if header is not None else {}
    if header is None or header.kind != RENTAL_KIND or metadata.get("user_id") != user_id:
        raise NotFound(f"no rental {rental_id}")
    return str(header.state), metadata


def return_rental(ledger: Ledger, user_id: str, rental_id: str, idem: IdempotencyKey) -> EntryResult:
    """Return the item: void the hold (deposit and unit back), then count the return in the history.

    Two writes, both idempotent: a retry after a crash between them replays the void and records the
    return. An overdue rental already posted by the timeout sweep answers 409 already-done.
    """
    _, metadata = _own_rental(ledger, user_id, rental_id)
    try:
        voided = ledger.resolve(rental_id, "void", actor=f"user:{user_id}", note="returned")
    except AlreadyDone as exc:
        raise AlreadyDone(f"rental {rental_id} is over: it was not returned in time") from exc
    on_time = voided.created_at <= str(metadata["due_at"])
    counter = RentalHistory.on_time if on_time else RentalHistory.late
    marker = RentalReturn(
        pk=f"RENTAL#{rental_id}", sk="RETURN", user_id=user_id, returned_at=voided.created_at, on_time=on_time
    )
    return ledger.transfer(
        EntryRequest(
            idempotency=idem,
            kind="rental.returned",
            guards=[
                Guard.put(
                    marker,
                    RentalReturn.pk.does_not_exist(),
                    lambda old: AlreadyDone(f"rental {rental_id} was already returned"),
                ),
                Guard.update(
                    RentalHistory(pk=history_key(user_id), sk="HISTORY"),
                    [counter.add(1)],
                    None,
                    unconditional,
                ),
            ],
            metadata={"rental_id": rental_id, "user_id": user_id, "on_time": on_time},
            response={
                "status": "returned",
                "rental_id": rental_id,
                "on_time": on_time,
                "deposit_refunded": int(metadata.get("deposit", 0)),
            },
        )
    )


def rental_view(ledger: Ledger, user_id: str, rental_id: str) -> dict[str, Any]:
    state, metadata = _own_rental(ledger, user_id, rental_id)
    return {
        "rental_id": rental_id,
        "cabinet_id": metadata["cabinet_id"],
        "item": metadata["item"],
        "deposit_held": metadata["deposit"],
        "due_at": metadata["due_at"],
        "status": {"pending": "out", "voided": "returned", "posted": "forfeited"}.get(state, state),
    }

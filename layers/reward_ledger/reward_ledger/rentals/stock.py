"""Cabinet stock: counted units issued into one ledger account per cabinet and item type."""

from __future__ import annotations

from pydantic import Field

from reward_ledger.ledger import EntryRequest, EntryResult, IdempotencyKey, Ledger, Leg, external_account
from reward_ledger.rentals.config import CabinetBatch, cabinet_of, item_of, settings
from reward_ledger.rentals.history import cabinet_stock
from reward_ledger.replies import Reply


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


class CabinetItem(Reply):
    item: str
    available: int = Field(description="units in the cabinet now")
    deposit: int = Field(description="fen held per rental unless waived")
    loan_hours: int


class CabinetView(Reply):
    """A cabinet's items and how many are available."""

    cabinet_id: str
    location: str
    items: list[CabinetItem]


def cabinet_view(ledger: Ledger, cabinet_id: str) -> CabinetView:
    cab = cabinet_of(cabinet_id)
    items = settings().items
    stock = ledger.balances([cabinet_stock(cabinet_id, i.asset) for i in items])
    return CabinetView.model_validate(
        {
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
    )

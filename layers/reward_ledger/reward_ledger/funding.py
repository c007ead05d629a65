"""Wallet funding: money arriving from outside (top-ups) credits the user's wallet, once per funding_id."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from reward_ledger.ledger import (
    EntryRequest,
    EntryResult,
    IdempotencyKey,
    Ledger,
    Leg,
    external_account,
)
from reward_ledger.users import WALLET_ASSET, UserId, wallet_account


class WalletFunded(BaseModel):
    """``wallet.funded`` detail (source ``payments``)."""

    model_config = ConfigDict(extra="ignore")

    funding_id: str = Field(min_length=1, max_length=128)
    user_id: UserId
    amount: StrictInt = Field(gt=0, le=10**12)


def fund_wallet(ledger: Ledger, event: WalletFunded) -> EntryResult:
    """external funding -> user wallet (CNY, fen); a replayed event returns the first entry."""
    idem = IdempotencyKey("event:wallet.funded", event.funding_id, event.model_dump())
    leg = Leg(external_account("funding", WALLET_ASSET), wallet_account(event.user_id), event.amount)
    return ledger.transfer(
        EntryRequest(
            idempotency=idem,
            kind="wallet.funded",
            legs=[leg],
            metadata={"funding_id": event.funding_id, "user_id": event.user_id},
            response={"entry_id": idem.entry_id, "amount": event.amount},
        )
    )

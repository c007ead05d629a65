"""payment.completed -> oxygen (a forest lot) and feed (the farm), by category, once per payment_id.

The category table lives in ``data/payments.toml``. An unknown category (or one granting nothing) is not
an error: nothing is written. Oxygen becomes a lot in ``system/lots/O2`` that ripens after a delay and
expires at the user's next local midnight after the payment; feed goes straight to the user's feed book.
Both legs and the lot item are one transaction keyed by the payment id, so a redelivered event replays.

Treasure boxes for the same event are granted by the seeds feature's own consumer (its own EventBridge
rule): each grant rule stays an independent, idempotent consumer of the event.

Time zone: the contract's event has no zone. An optional ``time_zone`` (IANA name) in the detail is
honoured; otherwise the zone the user last used on the forest or farm routes (their token's
``zoneinfo``), otherwise the default (Asia/Shanghai).
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfoNotFoundError

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, NonNegativeInt, StrictInt, field_validator

from reward_ledger import clock, forest
from reward_ledger.config import StrictModel, ledger_settings, load_model
from reward_ledger.ledger import (
    EntryRequest,
    EntryResult,
    IdempotencyKey,
    Ledger,
    Leg,
    external_account,
    user_account,
)
from reward_ledger.profiles import stored_zone
from reward_ledger.users import UserId

O2_ISSUER = external_account("payments", "O2")
FEED_ISSUER = external_account("payments", "FEED")


class Grant(StrictModel):
    oxygen: NonNegativeInt = 0
    feed: NonNegativeInt = 0


class PaymentSettings(StrictModel):
    categories: dict[str, Grant]


@cache
def categories() -> dict[str, Grant]:
    return load_model("payments", PaymentSettings).categories


class PaymentCompleted(BaseModel):
    """``payment.completed`` detail (source ``payments``); ``time_zone`` is this feature's optional extra."""

    model_config = ConfigDict(extra="ignore")

    payment_id: str = Field(min_length=1, max_length=128)
    user_id: UserId
    amount: StrictInt = Field(ge=0, le=10**12)
    category: str = Field(min_length=1, max_length=64)
    occurred_at: AwareDatetime
    time_zone: str | None = Field(default=None, max_length=64)

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                clock.zone(value)
            except (ZoneInfoNotFoundError, ValueError) as exc:
                raise ValueError(f"unknown time zone {value!r}") from exc
        return value


def user_zone(event: PaymentCompleted) -> str:
    return event.time_zone or stored_zone(event.user_id) or ledger_settings().time.default_timezone


def grant(ledger: Ledger, event: PaymentCompleted) -> EntryResult | None:
    """Oxygen lot and feed for one payment; ``None`` when the category grants nothing."""
    rule = categories().get(event.category)
    if rule is None or (rule.oxygen == 0 and rule.feed == 0):
        return None
    idem = IdempotencyKey("event:payment.completed", event.payment_id, event.model_dump(mode="json"))
    earned_at: datetime = min(event.occurred_at.astimezone(clock.zone("UTC")), clock.now())
    legs: list[Leg] = []
    guards = []
    response: dict[str, Any] = {"entry_id": idem.entry_id, "oxygen": rule.oxygen, "feed": rule.feed}
    if rule.oxygen:
        lot = forest.new_lot(
            event.user_id, rule.oxygen, earned_at, user_zone(event), idem.entry_id, O2_ISSUER
        )
        legs.append(lot.leg)
        guards.append(lot.guard)
        response.update(lot_id=lot.lot_id, ripe_at=clock.iso(lot.ripe_at), expires_at=clock.iso(lot.deadline))
    if rule.feed:
        legs.append(Leg(FEED_ISSUER, user_account(event.user_id, "feed", "FEED"), rule.feed))
    return ledger.transfer(
        EntryRequest(
            idempotency=idem,
            kind="payment.rewards",
            legs=legs,
            guards=guards,
            metadata={"payment_id": event.payment_id, "user_id": event.user_id, "category": event.category},
            response=response,
        )
    )

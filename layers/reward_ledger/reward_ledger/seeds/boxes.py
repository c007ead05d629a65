"""Treasure boxes: granted by a qualifying ``payment.completed`` event, opened once by their owner.

* A qualifying event grants a box: the box item is written in the same transaction as a leg-less journal
  entry keyed by the payment id (the entry header is the idempotency record), with a per-user daily
  counter as a guard.
* Opening a box draws seeds (:mod:`.drawing`) and credits them ``external:seeds/issued/SEED ->
  user:<id>/seeds/SEED`` in the same transaction that flips the box from ``unopened`` to ``opened``.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, field_validator
from pynamodb.attributes import NumberAttribute, UnicodeAttribute

from reward_ledger import clock
from reward_ledger.errors import AlreadyDone, NotFound
from reward_ledger.ledger import (
    EntryRequest,
    EntryResult,
    Guard,
    IdempotencyKey,
    Ledger,
    Leg,
    external_account,
    user_account,
)
from reward_ledger.ledger.models import LedgerTableMeta
from reward_ledger.ledger.table import LedgerModel
from reward_ledger.replies import Reply
from reward_ledger.seeds.config import SEED, settings
from reward_ledger.seeds.drawing import draw
from reward_ledger.users import UserId


class BoxItem(LedgerModel):
    """A treasure box: ``pk=BOX#<user>``, ``sk=BOX#<box_id>`` (a user's boxes are one Query)."""

    class Meta(LedgerTableMeta):
        pass

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    box_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    payment_id = UnicodeAttribute(null=True)
    state = UnicodeAttribute(default="unopened")
    granted_at = UnicodeAttribute(null=True)
    opened_at = UnicodeAttribute(null=True)
    seeds = NumberAttribute(null=True)
    epoch = UnicodeAttribute(null=True)


class BoxDayCounter(LedgerModel):
    """Boxes granted to a user on one local day of payment: the daily-cap guard."""

    class Meta(LedgerTableMeta):
        pass

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default="BOXDAY")
    granted = NumberAttribute(default=0)
    ttl = NumberAttribute(null=True)  # settled counters are cleaned up by the table's TTL


#: a day's box counter is kept this long after the day (events are redelivered for at most one day)
COUNTER_KEEP = timedelta(days=7)


def box_pk(user_id: str) -> str:
    return f"BOX#{user_id}"


def box_sk(box_id: str) -> str:
    return f"BOX#{box_id}"


def box_id_for(payment_id: str) -> str:
    """A box id derived from the payment: redelivery grants the same box, and ids reveal nothing."""
    return "bx" + hashlib.sha256(f"seeds-box:{payment_id}".encode()).hexdigest()[:24]


class PaymentCompleted(BaseModel):
    """``payment.completed`` detail (source ``payments``); fields other consumers read are ignored here."""

    model_config = ConfigDict(extra="ignore")

    payment_id: str = Field(min_length=1, max_length=128)
    user_id: UserId
    amount: StrictInt = Field(gt=0, le=10**12)
    category: str = Field(min_length=1, max_length=64)
    occurred_at: str

    @field_validator("occurred_at")
    @classmethod
    def _iso(cls, value: str) -> str:
        clock.parse_iso(value)  # raises ValueError on a malformed time
        return value


def qualifies(event: PaymentCompleted) -> bool:
    cfg = settings().boxes
    return event.category in cfg.categories and event.amount >= cfg.min_amount


class _DailyCapHit(AlreadyDone):
    """Internal: the daily box cap refused the grant (not an error for the event)."""


def grant_box(ledger: Ledger, event: PaymentCompleted) -> EntryResult | None:
    """Grant the box a qualifying payment earns, once per payment_id; ``None`` when it earns none
    (category, amount, or the user's daily cap for the payment's local day)."""
    if not qualifies(event):
        return None
    cfg = settings().boxes
    box_id = box_id_for(event.payment_id)
    occurred = clock.parse_iso(event.occurred_at)
    day = clock.local_day(occurred).isoformat()
    day_end = clock.next_local_midnight(occurred)
    counter_ttl = int((day_end + COUNTER_KEEP).timestamp())
    now = clock.iso(clock.now())
    idem = IdempotencyKey("event:payment.completed|seeds.box", event.payment_id, event.model_dump())
    box = BoxItem(
        pk=box_pk(event.user_id),
        sk=box_sk(box_id),
        box_id=box_id,
        user_id=event.user_id,
        payment_id=event.payment_id,
        state="unopened",
        granted_at=now,
    )
    counter = BoxDayCounter(pk=f"BOXDAY#{event.user_id}#{day}", sk="BOXDAY")
    guards = [
        Guard.put(box, BoxItem.pk.does_not_exist(), lambda old: AlreadyDone(f"box {box_id} exists")),
        Guard.update(
            counter,
            [BoxDayCounter.granted.add(1), BoxDayCounter.ttl.set(counter_ttl)],
            BoxDayCounter.granted.does_not_exist() | (BoxDayCounter.granted < cfg.daily_cap),
            lambda old: _DailyCapHit(f"{event.user_id} reached {cfg.daily_cap} boxes on {day}"),
        ),
    ]
    try:
        return ledger.transfer(
            EntryRequest(
                idempotency=idem,
                kind="seeds.box.granted",
                guards=guards,
                metadata={"payment_id": event.payment_id, "user_id": event.user_id, "box_id": box_id},
                response={"box_id": box_id, "entry_id": idem.entry_id},
            )
        )
    except _DailyCapHit:
        return None


def open_box(ledger: Ledger, user_id: str, box_id: str, idem: IdempotencyKey) -> EntryResult:
    """Open the caller's box: draw, credit the seeds and mark the box opened, in one transaction."""
    now = clock.now()
    outcome = draw(box_id, now)

    def refused(old: Any) -> NotFound | AlreadyDone:
        if not old:
            return NotFound(f"no box {box_id}")
        return AlreadyDone(f"box {box_id} is already opened")

    guard = Guard.update(
        BoxItem(pk=box_pk(user_id), sk=box_sk(box_id)),
        [
            BoxItem.state.set("opened"),
            BoxItem.opened_at.set(clock.iso(now)),
            BoxItem.seeds.set(outcome.seeds),
            BoxItem.epoch.set(outcome.proof["epoch"]),
        ],
        BoxItem.state == "unopened",
        refused,
    )
    legs = []
    if outcome.seeds > 0:
        legs.append(Leg(external_account("seeds", SEED), user_account(user_id, "seeds", SEED), outcome.seeds))
    return ledger.transfer(
        EntryRequest(
            idempotency=idem,
            kind="seeds.box.opened",
            legs=legs,
            guards=[guard],
            metadata={"box_id": box_id, "user_id": user_id, "epoch": outcome.proof["epoch"]},
            response={"box_id": box_id, "seeds": outcome.seeds, "proof": outcome.proof},
        )
    )


class Box(Reply):
    box_id: str
    state: Literal["unopened", "opened"]
    granted_at: str | None = Field(description="ISO-8601 UTC")
    opened_at: str | None = Field(description="ISO-8601 UTC; null while unopened")
    seeds: int | None = Field(description="seeds drawn; null while unopened")


def boxes_view(user_id: str) -> list[Box]:
    """The caller's boxes (one Query on their partition)."""
    return [
        Box.model_validate(
            {
                "box_id": box.box_id,
                "state": box.state,
                "granted_at": box.granted_at,
                "opened_at": box.opened_at,
                "seeds": int(box.seeds) if box.seeds is not None else None,
            }
        )
        for box in BoxItem.query(box_pk(user_id), BoxItem.sk.startswith("BOX#"))
    ]

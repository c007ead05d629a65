"""Treasure boxes and sesame seeds.

* A qualifying ``payment.completed`` event grants a treasure box: the box item is written in the same
  transaction as a leg-less journal entry keyed by the payment id (the entry header is the idempotency
  record), with a per-user daily counter as a guard.
* Opening a box draws seeds from the published prize table with a verifiable draw and credits them
  ``external:seeds/issued/SEED -> user:<id>/seeds/SEED`` in the same transaction that flips the box from
  ``unopened`` to ``opened``: a box opens once.
* Seeds are donated to pooled charity projects through :func:`reward_ledger.charity.donate`.

The draw (see ``data/seeds.toml``): ``mac = HMAC-SHA256(epoch_secret, box_id)``, ``roll = int(mac[:16], 16)
mod total_weight``, prize = first row whose cumulative weight exceeds ``roll``. The epoch is the UTC day of
the opening; ``epoch_secret = HMAC-SHA256(master, "seeds-draw-epoch:<epoch>")``; ``SHA-256(epoch_secret)`` is
the epoch's commitment, and the secret itself is revealed once the epoch is over, so anyone can recompute
every draw of that epoch from its proof.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PositiveInt, StrictInt, field_validator, model_validator
from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from reward_ledger import charity, clock
from reward_ledger.config import StrictModel, load_model
from reward_ledger.errors import AlreadyDone, NotFound, ValidationFailed
from reward_ledger.ledger import (
    EntryRequest,
    EntryResult,
    Guard,
    IdempotencyKey,
    Ledger,
    Leg,
    external_account,
    register_model,
    user_account,
)
from reward_ledger.ledger.models import LedgerTableMeta

ID_PATTERN = r"^[A-Za-z0-9_.-]{1,64}$"
USER_ID_PATTERN = r"^[A-Za-z0-9_.@:-]{1,128}$"
EPOCH_PATTERN = r"^\d{4}-\d{2}-\d{2}$"
SEED = "SEED"
DRAW_KEY_VAR = "SEEDS_DRAW_SECRET"
DRAW_KEY_PARAMETER_VAR = "SEEDS_DRAW_SECRET_PARAMETER"
LOCAL_DRAW_KEY = "local-seeds-secret"


# ---------------------------------------------------------------------------------------------- config
class PrizeRow(StrictModel):
    seeds: StrictInt = Field(ge=0)
    weight: PositiveInt


class PrizeTable(StrictModel):
    version: str = Field(pattern=ID_PATTERN)
    rows: list[PrizeRow] = Field(min_length=1)

    @property
    def total_weight(self) -> int:
        return sum(row.weight for row in self.rows)

    def prize(self, roll: int) -> tuple[int, PrizeRow]:
        """The row index and row that ``roll`` (0 <= roll < total_weight) lands on."""
        upper = 0
        for index, row in enumerate(self.rows):
            upper += row.weight
            if roll < upper:
                return index, row
        raise ValueError(f"roll {roll} outside table {self.version}")


class DrawSettings(StrictModel):
    active_table: str
    tables: list[PrizeTable] = Field(min_length=1)

    @model_validator(mode="after")
    def _active_exists(self) -> DrawSettings:
        versions = [t.version for t in self.tables]
        if len(set(versions)) != len(versions):
            raise ValueError("prize table versions must be unique")
        if self.active_table not in versions:
            raise ValueError(f"active_table {self.active_table} is not listed")
        return self


class BoxSettings(StrictModel):
    categories: list[str]
    min_amount: StrictInt = Field(ge=0)
    daily_cap: PositiveInt


class SeedsSettings(StrictModel):
    boxes: BoxSettings
    draw: DrawSettings


@cache
def settings() -> SeedsSettings:
    return load_model("seeds", SeedsSettings)


def prize_table(version: str | None = None) -> PrizeTable:
    draw = settings().draw
    wanted = version or draw.active_table
    for table in draw.tables:
        if table.version == wanted:
            return table
    raise NotFound(f"no prize table {wanted!r}")


# ---------------------------------------------------------------------------------------------- secrets
@cache
def _master_secret() -> bytes:
    """The draw master secret: ``SEEDS_DRAW_SECRET``, else the SSM SecureString named by
    ``SEEDS_DRAW_SECRET_PARAMETER``, else (outside Lambda only) a local development default."""
    value = os.environ.get(DRAW_KEY_VAR)
    if not value and os.environ.get(DRAW_KEY_PARAMETER_VAR):
        from aws_lambda_powertools.utilities import parameters

        value = str(parameters.get_parameter(os.environ[DRAW_KEY_PARAMETER_VAR], decrypt=True))
    if not value:
        if os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
            raise RuntimeError("the seeds draw secret is not configured")
        value = LOCAL_DRAW_KEY
    return value.encode("utf-8")


def epoch_of(instant: datetime) -> str:
    """Draw epochs are UTC days."""
    return instant.astimezone(clock.zone("UTC")).date().isoformat()


def epoch_end(epoch: str) -> datetime:
    start = datetime.fromisoformat(epoch).replace(tzinfo=clock.zone("UTC"))
    return start + timedelta(days=1)


def epoch_secret(epoch: str) -> bytes:
    return hmac.new(_master_secret(), f"seeds-draw-epoch:{epoch}".encode(), hashlib.sha256).digest()


def commitment(secret: bytes) -> str:
    return hashlib.sha256(secret).hexdigest()


def epoch_view(epoch: str, now: datetime | None = None) -> dict[str, Any]:
    """An epoch's commitment, and its secret once the epoch is over (never before)."""
    try:
        end = epoch_end(epoch)
    except ValueError as exc:
        raise ValidationFailed(f"epoch must be a UTC day YYYY-MM-DD, got {epoch!r}") from exc
    secret = epoch_secret(epoch)
    revealed = (now or clock.now()) >= end
    return {
        "epoch": epoch,
        "ends_at": clock.iso(end),
        "commitment": commitment(secret),
        "revealed": revealed,
        "secret": secret.hex() if revealed else None,
    }


# ---------------------------------------------------------------------------------------------- draw
@dataclass(frozen=True, slots=True)
class Draw:
    seeds: int
    proof: dict[str, Any]


def compute_draw(secret: bytes, box_id: str, table: PrizeTable) -> tuple[str, int, int, int]:
    """``(mac_hex, roll, row_index, seeds)``: the whole draw, a pure function of its inputs."""
    mac = hmac.new(secret, box_id.encode("utf-8"), hashlib.sha256).hexdigest()
    roll = int(mac[:16], 16) % table.total_weight
    index, row = table.prize(roll)
    return mac, roll, index, row.seeds


def draw(box_id: str, instant: datetime) -> Draw:
    table = prize_table()
    epoch = epoch_of(instant)
    secret = epoch_secret(epoch)
    mac, roll, index, seeds = compute_draw(secret, box_id, table)
    proof = {
        "algorithm": "HMAC-SHA256(epoch_secret, box_id); roll = int(hmac[:16], 16) mod total_weight",
        "box_id": box_id,
        "epoch": epoch,
        "commitment": commitment(secret),
        "table_version": table.version,
        "total_weight": table.total_weight,
        "hmac": mac,
        "roll": roll,
        "row": index,
    }
    return Draw(seeds, proof)


def verify(proof: dict[str, Any], secret_hex: str) -> int:
    """Recompute a draw from its proof and the revealed epoch secret; the seeds it must have paid.

    Raises ``ValueError`` when the secret does not match the epoch's commitment or the proof's hmac.
    """
    secret = bytes.fromhex(secret_hex)
    if commitment(secret) != proof["commitment"]:
        raise ValueError("secret does not match the epoch's commitment")
    mac, roll, index, seeds = compute_draw(secret, proof["box_id"], prize_table(proof["table_version"]))
    if (mac, roll, index) != (proof["hmac"], proof["roll"], proof["row"]):
        raise ValueError("proof does not match the recomputed draw")
    return seeds


# ---------------------------------------------------------------------------------------------- boxes
@register_model
class BoxItem(Model):
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


@register_model
class BoxDayCounter(Model):
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
    user_id: str = Field(pattern=USER_ID_PATTERN)
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


def boxes_view(user_id: str) -> list[dict[str, Any]]:
    """The caller's boxes (one Query on their partition)."""
    return [
        {
            "box_id": box.box_id,
            "state": box.state,
            "granted_at": box.granted_at,
            "opened_at": box.opened_at,
            "seeds": int(box.seeds) if box.seeds is not None else None,
        }
        for box in BoxItem.query(box_pk(user_id), BoxItem.sk.startswith("BOX#"))
    ]


# ---------------------------------------------------------------------------------------------- donations
def donate_seeds(
    ledger: Ledger, user_id: str, project_id: str, seeds: int, idem: IdempotencyKey
) -> EntryResult:
    """Seeds -> a pooled charity project, never past its target (refused with the remaining amount)."""
    return charity.donate(ledger, user_id, project_id, SEED, seeds, idem)

"""A payment's grant of a lot: the leg into the holding account and the lot item, for the payment's own
transaction (``payments`` calls :func:`new_lot`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from reward_ledger import clock
from reward_ledger.errors import AlreadyDone
from reward_ledger.forest.config import settings
from reward_ledger.forest.items import LOT_KIND, LOT_POOL, Lot, compact, partition
from reward_ledger.ledger import Account, Guard, Leg, expiry_for
from reward_ledger.ledger.expiry import expiry_shard


@dataclass(frozen=True, slots=True)
class NewLot:
    """What a grant adds to its transaction: the leg into the holding account and the lot item."""

    lot_id: str
    leg: Leg
    guard: Guard
    ripe_at: datetime
    deadline: datetime


def new_lot(
    user_id: str, amount: int, earned_at: datetime, tz: str, entry_id: str, issuer: Account
) -> NewLot:
    """A lot of ``amount`` grams earned at ``earned_at``: ripe after the configured delay (at once when
    that would pass midnight), due at the user's next local midnight (in ``tz``)."""
    deadline = clock.next_local_midnight(earned_at, tz)
    ripe_at = earned_at + timedelta(minutes=settings().lots.ripen_minutes)
    if ripe_at >= deadline:  # earned in the day's last minutes: ripe at once, or it could never be collected
        ripe_at = earned_at
    base = f"{compact(deadline)}-{entry_id[1:17]}"
    expiry = expiry_for(f"{partition(user_id)}|LOT#{base}", deadline, LOT_KIND)
    shard = expiry_shard(f"{partition(user_id)}|LOT#{base}") % LOT_POOL.policy.shards
    lot_id = f"{base}-{amount}-{shard}"  # carries what a steal needs, so a steal costs no read
    sk = f"LOT#{lot_id}"
    lot = Lot(
        pk=partition(user_id),
        sk=sk,
        lot_id=lot_id,
        owner=user_id,
        amount=amount,
        stolen=0,
        state="open",
        ripe_at=clock.iso(ripe_at),
        deadline=clock.iso(deadline),
        pool_shard=shard,
        granted_by=entry_id,
        exp_bucket=expiry.bucket,
        expires_at=expiry.at,
        exp_kind=expiry.kind,
    )
    guard = Guard.put(
        lot, Lot.pk.does_not_exist(), lambda _old: AlreadyDone(f"lot {lot_id} was already granted")
    )
    return NewLot(lot_id, Leg(issuer, LOT_POOL, amount, credit_shard=shard), guard, ripe_at, deadline)

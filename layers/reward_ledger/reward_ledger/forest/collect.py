"""Collect: every ripe own lot into the user's energy, each lot guarded, in one transaction.

Without lot ids, one query finds the ripe lots and one transaction takes them. With the ids the client
saw in ``GET /v1/forest`` it is one transaction and no read: a lot id carries the lot's amount and pool
shard, and each lot's guard requires the stored lot to match them, untouched by thieves, open, ripe and
before its deadline. If any lot differs (stolen from, already collected, expired, unknown) the collect
falls back to reading those lots, taking what is still ripe among them, as the body without ids does.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from reward_ledger import clock
from reward_ledger.errors import KeptChanging, NotFound, ValidationFailed
from reward_ledger.forest import reads
from reward_ledger.forest.config import COLLECT_ROOM, settings
from reward_ledger.forest.items import LOT_POOL, MAX_REREADS, Lot, LotMoved, energy, partition, settle_guard
from reward_ledger.ledger import EntryRequest, EntryResult, IdempotencyKey, Ledger, Leg
from reward_ledger.profiles import remember_zone


def collect(
    ledger: Ledger,
    user_id: str,
    idem: IdempotencyKey,
    zone: str | None = None,
    lot_ids: Sequence[str] | None = None,
) -> EntryResult:
    """Move every ripe own lot (up to the configured number), or the ripe ones among ``lot_ids``, into
    the user's energy. With ids: one transaction if the lots are as the ids say (the zone was remembered
    by the ``GET /v1/forest`` that listed them); otherwise, and without ids, one query to find the lots
    and one transaction to take them; lots changed meanwhile make it read again (bounded)."""
    assert 2 + LOT_POOL.policy.shards <= COLLECT_ROOM, "a collect's header, energy and pool shards must fit"
    wanted = set(lot_ids) if lot_ids is not None else None
    if lot_ids is not None:
        try:
            return ledger.transfer(_request(user_id, idem, _lots_as_listed(user_id, lot_ids), clock.now()))
        except LotMoved:
            pass  # some lot is not as listed: read them and take what is still ripe
    for _attempt in range(MAX_REREADS):
        now = clock.now()
        now_iso = clock.iso(now)
        state = reads.state_of(user_id, now)
        remember_zone(user_id, zone, state.zone)
        ripe = [
            lot
            for lot in reads.open_lots(state.lots, now_iso)
            if lot.ripe_at <= now_iso and lot.remaining > 0 and (wanted is None or lot.lot_id in wanted)
        ]
        ripe = sorted(ripe, key=lambda lot: lot.deadline)[: settings().lots.max_lots_per_collect]
        try:
            return ledger.transfer(_request(user_id, idem, ripe, now))
        except LotMoved:
            continue
    raise KeptChanging("your lots keep changing; try again")


def _lots_as_listed(user_id: str, lot_ids: Sequence[str]) -> list[Lot]:
    """The lots the ids describe, untouched (nothing stolen): what the guards will require them to be."""
    if len(set(lot_ids)) != len(lot_ids) or len(lot_ids) > settings().lots.max_lots_per_collect:
        raise ValidationFailed(
            f"lot_ids must be distinct, at most {settings().lots.max_lots_per_collect} per collect"
        )
    lots = []
    for lot_id in lot_ids:
        parts = lot_id.rsplit("-", 2)
        if len(parts) != 3 or not parts[1].isdigit() or not parts[2].isdigit():
            raise NotFound(f"no lot {lot_id}")
        if int(parts[1]) <= 0 or int(parts[2]) >= LOT_POOL.policy.shards:
            raise NotFound(f"no lot {lot_id}")  # no lot holds nothing or sits on a shard the pool lacks
        lots.append(
            Lot(
                pk=partition(user_id),
                sk=f"LOT#{lot_id}",
                lot_id=lot_id,
                amount=int(parts[1]),
                stolen=0,
                pool_shard=int(parts[2]),
            )
        )
    return lots


def _request(user_id: str, idem: IdempotencyKey, lots: list[Lot], now: datetime) -> EntryRequest:
    now_iso = clock.iso(now)
    guards = [
        settle_guard(
            lot,
            Lot.pk.exists()
            & (Lot.amount == int(lot.amount))
            & (Lot.pool_shard == int(lot.pool_shard))
            & (Lot.state == "open")
            & (Lot.stolen == int(lot.stolen))
            & (Lot.ripe_at <= now_iso)
            & (Lot.deadline > now_iso),
            "collected",
            idem.entry_id,
            now,
        )
        for lot in lots
    ]
    return EntryRequest(
        idempotency=idem,
        kind="forest.collect",
        legs=[Leg(LOT_POOL, energy(user_id), lot.remaining, debit_shard=int(lot.pool_shard)) for lot in lots],
        guards=guards,
        metadata={"user_id": user_id, "lots": [lot.lot_id for lot in lots]},
        response={
            "entry_id": idem.entry_id,
            "collected": sum(lot.remaining for lot in lots),
            "lots": len(lots),
        },
    )

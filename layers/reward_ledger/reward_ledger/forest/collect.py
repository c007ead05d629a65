"""Collect: every ripe own lot into the user's energy, each lot guarded, in one transaction."""

from __future__ import annotations

from reward_ledger import clock
from reward_ledger.errors import KeptChanging
from reward_ledger.forest import reads
from reward_ledger.forest.config import COLLECT_ROOM, settings
from reward_ledger.forest.items import LOT_POOL, MAX_REREADS, Lot, LotMoved, energy, settle_guard
from reward_ledger.ledger import EntryRequest, EntryResult, IdempotencyKey, Ledger, Leg
from reward_ledger.profiles import remember_zone


def collect(ledger: Ledger, user_id: str, idem: IdempotencyKey, zone: str | None = None) -> EntryResult:
    """Move every ripe own lot (up to the configured number) into the user's energy: one query to find
    them, one transaction to take them; lots changed meanwhile make it read again (bounded)."""
    assert 2 + LOT_POOL.policy.shards <= COLLECT_ROOM, "a collect's header, energy and pool shards must fit"
    for _attempt in range(MAX_REREADS):
        now = clock.now()
        now_iso = clock.iso(now)
        state = reads.state_of(user_id, now)
        remember_zone(user_id, zone, state.zone)
        ripe = [
            lot
            for lot in reads.open_lots(state.lots, now_iso)
            if lot.ripe_at <= now_iso and lot.remaining > 0
        ]
        ripe = sorted(ripe, key=lambda lot: lot.deadline)[: settings().lots.max_lots_per_collect]
        total = sum(lot.remaining for lot in ripe)
        guards = [
            settle_guard(
                lot,
                (Lot.state == "open")
                & (Lot.stolen == int(lot.stolen))
                & (Lot.ripe_at <= now_iso)
                & (Lot.deadline > now_iso),
                "collected",
                idem.entry_id,
                now,
            )
            for lot in ripe
        ]
        request = EntryRequest(
            idempotency=idem,
            kind="forest.collect",
            legs=[
                Leg(LOT_POOL, energy(user_id), lot.remaining, debit_shard=int(lot.pool_shard)) for lot in ripe
            ],
            guards=guards,
            metadata={"user_id": user_id, "lots": [lot.lot_id for lot in ripe]},
            response={"entry_id": idem.entry_id, "collected": total, "lots": len(ripe)},
        )
        try:
            return ledger.transfer(request)
        except LotMoved:
            continue
    raise KeptChanging("your lots keep changing; try again")

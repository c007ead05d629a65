"""The sweep's expirer of ``oxygen_lot`` items: lots past their deadline -> ``system/expired/O2``."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from reward_ledger import clock, sweep
from reward_ledger.forest.items import EXPIRED, LOT_POOL, Lot, LotMoved, settle_guard
from reward_ledger.ledger import EntryRequest, IdempotencyKey, Ledger, Leg


def expire_lots(ledger: Ledger, items: Sequence[Mapping[str, Any]]) -> int:
    """Sweep expirer of ``oxygen_lot`` items: batches of lots -> ``system/expired/O2``, each lot guarded
    (still open, unchanged, past its deadline). The entry key is derived from the batch's item keys."""
    now = clock.now()
    now_iso = clock.iso(now)
    lots = [Lot.from_raw_data(dict(raw)) for raw in items]
    pending = [lot for lot in lots if lot.state == "open" and lot.deadline <= now_iso]
    size = sweep.settings().batch_size
    expired = 0
    for start in range(0, len(pending), size):
        batch = pending[start : start + size]
        while batch:
            keys = sorted(f"{lot.pk}|{lot.sk}" for lot in batch)
            digest = hashlib.sha256("\n".join(keys).encode()).hexdigest()
            idem = IdempotencyKey("expiry:oxygen_lot", digest, {"lots": keys})
            request = EntryRequest(
                idempotency=idem,
                kind="forest.expiry",
                legs=[
                    Leg(LOT_POOL, EXPIRED, lot.remaining, debit_shard=int(lot.pool_shard))
                    for lot in batch
                    if lot.remaining > 0
                ],
                guards=[
                    settle_guard(
                        lot,
                        (Lot.state == "open") & (Lot.stolen == int(lot.stolen)) & (Lot.deadline <= now_iso),
                        "expired",
                        idem.entry_id,
                        now,
                    )
                    for lot in batch
                ],
                metadata={"lots": len(batch), "grams": sum(lot.remaining for lot in batch)},
                response={"entry_id": idem.entry_id, "lots": len(batch)},
            )
            try:
                result = ledger.transfer(request)
            except LotMoved as moved:  # settled meanwhile: leave it out, expire the rest
                batch = [lot for lot in batch if f"{lot.pk}|{lot.sk}" != moved.key]
                continue
            expired += 0 if result.replayed else len(batch)
            break
    return expired

"""The sweep's expirer of ``egg_batch`` items: what is left of a batch -> ``system/expired/EGG``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from reward_ledger import clock
from reward_ledger.errors import AlreadyDone
from reward_ledger.farm import items
from reward_ledger.farm.config import settings
from reward_ledger.farm.items import EXPIRED, MAX_REREADS, Chicken, ChickenMoved, EggBatch, eggs_account
from reward_ledger.ledger import EntryRequest, Guard, IdempotencyKey, Ledger, Leg


def _remaining(batch: EggBatch, eggs_out: int) -> int:
    """Eggs of ``batch`` still held, FIFO: every egg that left (donated, expired) was the oldest one."""
    return max(0, min(int(batch.eggs), int(batch.laid_before) + int(batch.eggs) - eggs_out))


def expire_batches(ledger: Ledger, raw_items: Sequence[Mapping[str, Any]]) -> int:
    """Sweep expirer of ``egg_batch`` items: what is left of each batch -> ``system/expired/EGG``.

    What is left follows from the chicken's counters alone (``eggs_out``, the FIFO cursor), and the
    chicken is updated with the condition that the cursor did not move since the read: a donation or a
    laying in between makes the expirer read again, so the count is exact.
    """
    expired = 0
    for raw in raw_items:
        batch = EggBatch.from_raw_data(dict(raw))
        if batch.state != "open":
            continue
        for _attempt in range(MAX_REREADS):
            now = clock.now()
            chicken = items.load(str(batch.owner)).item
            out = int(chicken.eggs_out or 0)
            left = _remaining(batch, out)
            idem = IdempotencyKey("expiry:egg_batch", f"{batch.pk}|{batch.sk}", {})
            unchanged = (
                Chicken.eggs_out == out if chicken.eggs_out is not None else Chicken.eggs_out.does_not_exist()
            )
            guards = [
                Guard.update(
                    Chicken(pk=chicken.pk, sk="CHICKEN"),
                    [Chicken.eggs_out.set(out + left)],
                    unchanged & (Chicken.eggs_laid == int(chicken.eggs_laid)),
                    lambda _old: ChickenMoved("chicken changed"),
                ),
                Guard.update(
                    EggBatch(pk=batch.pk, sk=batch.sk),
                    [
                        EggBatch.state.set("expired"),
                        EggBatch.expired_count.set(left),
                        EggBatch.settled_by.set(idem.entry_id),
                        EggBatch.exp_bucket.remove(),
                        EggBatch.exp_kind.remove(),
                        EggBatch.ttl.set(
                            int((now + timedelta(days=settings().eggs.settled_ttl_days)).timestamp())
                        ),
                    ],
                    EggBatch.state == "open",
                    lambda _old: AlreadyDone("batch already settled"),
                ),
            ]
            try:
                result = ledger.transfer(
                    EntryRequest(
                        idempotency=idem,
                        kind="farm.eggs.expiry",
                        legs=[Leg(eggs_account(str(batch.owner)), EXPIRED, left)] if left else [],
                        guards=guards,
                        metadata={"user_id": batch.owner, "batch": batch.sk, "eggs": left},
                        response={"entry_id": idem.entry_id, "eggs": left},
                    )
                )
            except ChickenMoved:
                continue
            except AlreadyDone:
                break
            expired += 0 if result.replayed else 1
            break
    return expired

"""What friends do with each other's oxygen: steal a share of a ripe lot, water a friend with energy."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reward_ledger import clock
from reward_ledger.errors import AlreadyDone, Expired, LedgerError, NotFound, NotRipe, ValidationFailed
from reward_ledger.forest.config import settings
from reward_ledger.forest.items import LOT_POOL, Lot, StealMarker, energy, partition, ttl_after
from reward_ledger.friends import mutual_guard
from reward_ledger.ledger import EntryRequest, EntryResult, Guard, IdempotencyKey, Ledger, Leg


def _lot_refusal(lot_id: str, now_iso: str) -> Any:
    def refuse(old: Mapping[str, Any] | None) -> LedgerError:
        old = old or {}
        state = old.get("state", {}).get("S", "open")
        if state != "open":
            return AlreadyDone(f"lot {lot_id} was already {state}")
        if old.get("ripe_at", {}).get("S", "") > now_iso:
            return NotRipe(f"lot {lot_id} is not ripe yet")
        if old.get("deadline", {}).get("S", "") <= now_iso:
            return Expired(f"lot {lot_id} has expired")
        return AlreadyDone(f"nothing more may be taken from lot {lot_id}")

    return refuse


def _lot_facts(lot_id: str) -> tuple[int, int]:
    """(amount, pool shard) carried by a lot id; the steal's guard checks them against the stored lot."""
    parts = lot_id.rsplit("-", 2)
    if len(parts) != 3 or not parts[1].isdigit() or not parts[2].isdigit():
        raise NotFound(f"no lot {lot_id}")
    return int(parts[1]), int(parts[2])


def steal(ledger: Ledger, thief: str, owner: str, lot_id: str, idem: IdempotencyKey) -> EntryResult:
    """Take the configured share of a friend's ripe lot: once per (lot, thief), never from an unripe,
    collected or expired lot, never beyond the lot's stealable share.

    One transaction and no read: the lot id carries the lot's amount and pool shard, and the lot guard
    requires the stored lot to match them (a forged or foreign id finds no matching lot: 404)."""
    now = clock.now()
    now_iso = clock.iso(now)
    amount, pool_shard = _lot_facts(lot_id)
    rules = settings().steal
    share = max(1, amount * rules.share_percent // 100)
    cap = amount * rules.max_stolen_percent // 100
    marker = StealMarker(
        pk=f"STEAL#{owner}#{lot_id}",
        sk=thief,
        entry_id=idem.entry_id,
        ttl=ttl_after(now, settings().lots.settled_ttl_days),
    )
    refuse = _lot_refusal(lot_id, now_iso)
    guards = [
        mutual_guard(thief, owner),
        Guard.put(
            marker,
            StealMarker.pk.does_not_exist(),
            lambda _old: AlreadyDone(f"you already took from lot {lot_id}"),
        ),
        Guard.update(
            Lot(pk=partition(owner), sk=f"LOT#{lot_id}"),
            [Lot.stolen.add(share)],
            Lot.pk.exists()
            & (Lot.amount == amount)
            & (Lot.pool_shard == pool_shard)
            & (Lot.state == "open")
            & (Lot.ripe_at <= now_iso)
            & (Lot.deadline > now_iso)
            & (Lot.stolen <= cap - share),
            lambda old: refuse(old) if old else NotFound(f"{owner} has no lot {lot_id}"),
        ),
    ]
    return ledger.transfer(
        EntryRequest(
            idempotency=idem,
            kind="forest.steal",
            legs=[Leg(LOT_POOL, energy(thief), share, debit_shard=pool_shard)],
            guards=guards,
            metadata={"thief": thief, "owner": owner, "lot_id": lot_id},
            response={"entry_id": idem.entry_id, "stolen": share, "lot_id": lot_id},
        )
    )


def water(ledger: Ledger, user_id: str, friend_id: str, amount: int, idem: IdempotencyKey) -> EntryResult:
    """Give a mutual friend ``amount`` grams of your energy (one transaction with the friendship check)."""
    bounds = settings().water
    if not bounds.min_grams <= amount <= bounds.max_grams:
        raise ValidationFailed(f"a watering is {bounds.min_grams}..{bounds.max_grams} grams")
    return ledger.transfer(
        EntryRequest(
            idempotency=idem,
            kind="forest.water",
            legs=[Leg(energy(user_id), energy(friend_id), amount)],
            guards=[mutual_guard(user_id, friend_id)],
            metadata={"from": user_id, "to": friend_id},
            response={"entry_id": idem.entry_id, "amount": amount},
        )
    )

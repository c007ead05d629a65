"""What the forest shows: one paginated query of the user's partition (open lots, trees, profile)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from reward_ledger import clock
from reward_ledger.forest.items import Lot, Tree, compact, energy, partition
from reward_ledger.ledger import Ledger
from reward_ledger.profiles import PROFILE_SK, remember_zone


@dataclass(slots=True)
class ForestState:
    lots: list[Lot]
    trees: list[Tree]
    zone: str | None


def state_of(user_id: str, now: datetime) -> ForestState:
    """Lots whose deadline is still ahead, trees and profile: one paginated query (``sk > LOT#<now>``)."""
    connection = Lot._get_connection()
    state = ForestState([], [], None)
    start: dict[str, Any] | None = None
    while True:
        page = connection.query(
            hash_key=partition(user_id),
            range_key_condition=Lot.sk > f"LOT#{compact(now)}",
            consistent_read=True,
            exclusive_start_key=start,
        )
        for raw in page.get("Items", []):
            sk = str(raw["sk"]["S"])
            if sk.startswith("LOT#"):
                state.lots.append(Lot.from_raw_data(raw))
            elif sk.startswith("TREE#"):
                state.trees.append(Tree.from_raw_data(raw))
            elif sk == PROFILE_SK:
                state.zone = str(raw["zone"]["S"])
        start = page.get("LastEvaluatedKey")
        if not start:
            return state


def open_lots(lots: Iterable[Lot], now_iso: str) -> list[Lot]:
    return [lot for lot in lots if lot.state == "open" and lot.deadline > now_iso]


def lot_view(lot: Lot, now_iso: str) -> dict[str, Any]:
    return {
        "lot_id": lot.lot_id,
        "amount": lot.remaining,
        "ripe_at": lot.ripe_at,
        "expires_at": lot.deadline,
        "ripe": lot.ripe_at <= now_iso,
    }


def forest_view(ledger: Ledger, user_id: str, zone: str | None = None) -> dict[str, Any]:
    now = clock.now()
    now_iso = clock.iso(now)
    state = state_of(user_id, now)
    remember_zone(user_id, zone, state.zone)
    return {
        "energy": ledger.balance(energy(user_id)),
        "trees": [
            {
                "certificate_id": t.certificate_id,
                "species": t.species,
                "cost": int(t.cost),
                "planted_at": t.planted_at,
            }
            for t in sorted(state.trees, key=lambda t: t.planted_at)
        ],
        "lots": [lot_view(lot, now_iso) for lot in open_lots(state.lots, now_iso)],
    }


def friend_lots(user_id: str, friend_id: str) -> dict[str, Any]:
    """A friend's open lots (what can be stolen); callers check the friendship first."""
    now = clock.now()
    now_iso = clock.iso(now)
    lots = open_lots(state_of(friend_id, now).lots, now_iso)
    return {"friend_id": friend_id, "lots": [lot_view(lot, now_iso) for lot in lots]}

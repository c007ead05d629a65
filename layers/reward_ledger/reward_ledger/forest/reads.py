"""What the forest shows: one paginated query of the user's partition (open lots, trees, profile)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import Field

from reward_ledger import clock
from reward_ledger.forest.items import Lot, Tree, compact, energy, partition
from reward_ledger.ledger import Ledger
from reward_ledger.profiles import PROFILE_SK, remember_zone
from reward_ledger.replies import Reply


@dataclass(slots=True)
class ForestState:
    lots: list[Lot]
    trees: list[Tree]
    zone: str | None


class LotView(Reply):
    lot_id: str = Field(examples=["20261201T080000Z-abcdefghijklmnop-0-0"])
    amount: int = Field(description="grams of oxygen left in the lot", examples=[120])
    ripe_at: str = Field(description="ISO-8601 UTC; collectable from then")
    expires_at: str = Field(description="ISO-8601 UTC; expires then (the owner's local midnight)")
    ripe: bool


class TreeView(Reply):
    certificate_id: str
    species: str = Field(examples=["saxaul"])
    cost: int = Field(description="grams of energy it took", examples=[17900])
    planted_at: str = Field(description="ISO-8601 UTC")


class Forest(Reply):
    """The caller's energy, trees and open oxygen lots."""

    energy: int = Field(description="grams of collected energy", examples=[1500])
    trees: list[TreeView]
    lots: list[LotView]


class FriendForest(Reply):
    """A mutual friend's open lots."""

    friend_id: str
    lots: list[LotView]


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


def lot_view(lot: Lot, now_iso: str) -> LotView:
    return LotView(
        lot_id=lot.lot_id,
        amount=int(lot.remaining),
        ripe_at=lot.ripe_at,
        expires_at=lot.deadline,
        ripe=lot.ripe_at <= now_iso,
    )


def forest_view(ledger: Ledger, user_id: str, zone: str | None = None) -> Forest:
    now = clock.now()
    now_iso = clock.iso(now)
    state = state_of(user_id, now)
    remember_zone(user_id, zone, state.zone)
    trees = [
        TreeView(
            certificate_id=t.certificate_id, species=t.species, cost=int(t.cost), planted_at=t.planted_at
        )
        for t in sorted(state.trees, key=lambda t: t.planted_at)
    ]
    lots = [lot_view(lot, now_iso) for lot in open_lots(state.lots, now_iso)]
    return Forest(energy=ledger.balance(energy(user_id)), trees=trees, lots=lots)


def friend_lots(user_id: str, friend_id: str) -> FriendForest:
    """A friend's open lots (what can be stolen); callers check the friendship first."""
    now = clock.now()
    now_iso = clock.iso(now)
    lots = open_lots(state_of(friend_id, now).lots, now_iso)
    return FriendForest(friend_id=friend_id, lots=[lot_view(lot, now_iso) for lot in lots])

"""Forest: oxygen lots earned from payments, collected the same local day, stolen by friends, watered,
planted as trees. Rules and decisions: docs/forest-and-farm.md.

Money (O2, grams) is always ledger money:

* grant (``payments``, :mod:`.grant`): ``external:payments/issued/O2`` -> ``system/lots/O2`` (the unripe-lot
  holding account) plus the lot item, one transaction;
* collect (:mod:`.collect`): ``system/lots/O2`` -> ``user:<id>/energy/O2`` for every ripe lot, each lot
  guarded (open, ripe, not past its deadline, unchanged since read) in the same transaction;
* steal (:mod:`.sharing`): a share of a friend's ripe lot -> the thief's energy, guarded by the friendship,
  the lot and a once-per-(lot, thief) marker;
* expiry (:mod:`.expiry`, sweep, ``exp_kind = "oxygen_lot"``): ``system/lots/O2`` -> ``system/expired/O2``,
  many lots per transaction, each lot guarded;
* water (:mod:`.sharing`): energy -> a friend's energy; plant (:mod:`.trees`): energy ->
  ``system/planted/O2`` plus a tree certificate.

The holding account's balance always equals the sum of the open lots' remaining grams (:mod:`.audit`).
Each lot pins the shard of the holding account its grams sit in (the lot's expiry shard), so collects,
steals and expiries debit exactly that shard and a sweep job touches one shard of it.
"""

from reward_ledger.forest.audit import pool_mismatches
from reward_ledger.forest.collect import collect
from reward_ledger.forest.config import ForestSettings, Species, settings
from reward_ledger.forest.expiry import expire_lots
from reward_ledger.forest.grant import NewLot, new_lot
from reward_ledger.forest.items import (
    ASSET,
    EXPIRED,
    LOT_KIND,
    LOT_POOL,
    PLANTED,
    Lot,
    StealMarker,
    Tree,
    energy,
    partition,
)
from reward_ledger.forest.reads import Forest, ForestState, FriendForest, forest_view, friend_lots, lot_view
from reward_ledger.forest.reminders import expiring_oxygen
from reward_ledger.forest.sharing import steal, water
from reward_ledger.forest.trees import catalog, certificate_id, plant

__all__ = [
    "ASSET",
    "EXPIRED",
    "LOT_KIND",
    "LOT_POOL",
    "PLANTED",
    "Forest",
    "ForestSettings",
    "ForestState",
    "FriendForest",
    "Lot",
    "NewLot",
    "Species",
    "StealMarker",
    "Tree",
    "catalog",
    "certificate_id",
    "collect",
    "energy",
    "expire_lots",
    "expiring_oxygen",
    "forest_view",
    "friend_lots",
    "lot_view",
    "new_lot",
    "partition",
    "plant",
    "pool_mismatches",
    "settings",
    "steal",
    "water",
]

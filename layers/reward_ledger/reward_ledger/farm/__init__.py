"""Farm: a chicken eats meals of feed, finished meals add egg progress, whole eggs are credited, donated to
charity projects, and expire when not donated in time. Rules and decisions: docs/forest-and-farm.md.

The chicken is one item (``pk=FARM#<user>``, ``sk=CHICKEN``) holding the current meal's end
(``eating_until``), whether that meal's progress was added yet (``settled``), the egg progress, the count
of eggs ever laid and a version. Nothing runs on a timer: the state is computed lazily from the meal
times whenever the farm is read, fed or donated from (:func:`settle`, :mod:`.laying`):

* feed (:mod:`.feeding`): ``user:<feeder>/feed/FEED`` -> ``system/consumed/FEED`` plus the chicken guard
  (hungry, unchanged) and, for a friend's chicken, the friendship check, one transaction;
* laying (:mod:`.laying`): ``external:farm/issued/EGG`` -> ``user:<owner>/eggs/EGG`` plus an egg batch item
  in the expiry index (``exp_kind = "egg_batch"``) that remembers its FIFO position (``laid_before``);
* donation (:mod:`.donations`): eggs -> a charity pool, the chicken's FIFO cursor advanced;
* expiry (:mod:`.expiry`, sweep): what is left of a batch (FIFO: donations use the oldest eggs first) ->
  ``system/expired/EGG``, the batch guarded (still open) and the chicken checked unchanged.
"""

from reward_ledger.farm.config import FarmSettings, settings
from reward_ledger.farm.donations import donate
from reward_ledger.farm.expiry import expire_batches
from reward_ledger.farm.feeding import FarmView, FriendChicken, chicken_view, farm_view, feed, still_hungry
from reward_ledger.farm.items import (
    BATCH_KIND,
    CONSUMED,
    EGG_ISSUER,
    EXPIRED,
    Chicken,
    ChickenState,
    EggBatch,
    eggs_account,
    feed_account,
    partition,
)
from reward_ledger.farm.laying import settle

__all__ = [
    "BATCH_KIND",
    "CONSUMED",
    "EGG_ISSUER",
    "EXPIRED",
    "Chicken",
    "ChickenState",
    "EggBatch",
    "FarmSettings",
    "FarmView",
    "FriendChicken",
    "chicken_view",
    "donate",
    "eggs_account",
    "expire_batches",
    "farm_view",
    "feed",
    "feed_account",
    "partition",
    "settings",
    "settle",
    "still_hungry",
]

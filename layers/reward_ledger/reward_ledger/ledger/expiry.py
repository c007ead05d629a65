"""The expiry index: where things that must expire (lots, eggs, pending holds) are found cheaply.

Items carry ``exp_bucket = shard#<n>`` (a hash of the item's key picks the shard) and ``expires_at`` (ISO
UTC). A sweep queries each shard for ``expires_at <= now``: whatever is due, however long ago it fell due,
so it costs O(what expires), never a scan of all users, needs no look-back window, and shards run in
parallel. (The shard, not the day, keys the index: a day in the key spreads no write, since what is
written expires within days, and would make a sweep that missed days miss their items.)
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from reward_ledger import clock
from reward_ledger.config import ledger_settings
from reward_ledger.ledger.entries import Expiry


def expiry_shard(item_key: str) -> int:
    shards = ledger_settings().time.expiry_shards
    return int.from_bytes(hashlib.sha256(item_key.encode()).digest()[:4], "big") % shards


def bucket_of(shard: int) -> str:
    """The ``ExpiryIndex`` partition of expiry shard ``shard``."""
    return f"shard#{shard}"


def expiry_for(item_key: str, expires_at: datetime, kind: str = "hold") -> Expiry:
    """Index position of an item expiring at ``expires_at``; ``kind`` names the expirer that handles it."""
    return Expiry(bucket=bucket_of(expiry_shard(item_key)), at=clock.iso(expires_at), kind=kind)

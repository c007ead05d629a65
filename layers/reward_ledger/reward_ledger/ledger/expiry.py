"""The expiry index: where things that must expire (lots, eggs, pending holds) are found cheaply.

Items carry ``exp_bucket = <UTC day of expiry>#<shard>`` and ``expires_at`` (ISO UTC). A sweep queries
one bucket per shard for the days up to today, so it costs O(what expires), never a scan of all users,
and shards run in parallel.
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


def expiry_for(item_key: str, expires_at: datetime, kind: str = "hold") -> Expiry:
    """Index position of an item expiring at ``expires_at``; ``kind`` names the expirer that handles it."""
    day = expires_at.astimezone(clock.zone("UTC")).date().isoformat()
    return Expiry(bucket=f"{day}#{expiry_shard(item_key)}", at=clock.iso(expires_at), kind=kind)

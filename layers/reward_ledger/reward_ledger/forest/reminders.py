"""The forest's reminder finder: ripe oxygen about to vanish at the owner's local midnight."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from reward_ledger import clock
from reward_ledger.config import ledger_settings
from reward_ledger.forest.items import LOT_KIND
from reward_ledger.ledger.expiry import bucket_of
from reward_ledger.ledger.models import ExpiringItem
from reward_ledger.reminders.core import new_reminder, settings
from reward_ledger.reminders.models import Reminder


def expiring_oxygen(now: datetime) -> list[Reminder]:
    """Ripe, uncollected oxygen that vanishes at the owner's local midnight within the window: one
    reminder per owner and deadline (a local day), however many lots.

    Reads each ExpiryIndex shard for ``now < expires_at <= now+window``: O(lots expiring within the hour).
    """
    until = now + timedelta(minutes=settings().oxygen_window_minutes)
    now_iso, until_iso = clock.iso(now), clock.iso(until)
    grams: dict[tuple[str, str], int] = defaultdict(int)
    connection = ExpiringItem._get_connection()
    for bucket in [bucket_of(shard) for shard in range(ledger_settings().time.expiry_shards)]:
        start_key = None
        while True:
            page = connection.query(
                hash_key=bucket,
                range_key_condition=ExpiringItem.expires_at.between(now_iso, until_iso),
                index_name="ExpiryIndex",
                limit=settings().page_size,
                exclusive_start_key=start_key,
            )
            for item in page.get("Items", []):
                if item.get("exp_kind", {}).get("S") != LOT_KIND:
                    continue
                if item.get("state", {}).get("S") != "open" or item["ripe_at"]["S"] > now_iso:
                    continue
                left = int(item["amount"]["N"]) - int(item.get("stolen", {}).get("N", "0"))
                if left > 0 and item["expires_at"]["S"] > now_iso:
                    grams[(item["owner"]["S"], item["expires_at"]["S"])] += left
            start_key = page.get("LastEvaluatedKey")
            if not start_key:
                break
    return [
        new_reminder(owner, "oxygen-expiring", deadline, now, {"grams": amount, "expires_at": deadline})
        for (owner, deadline), amount in sorted(grams.items())
    ]

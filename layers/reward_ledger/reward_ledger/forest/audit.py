"""The holding account's check: its balance, per shard, equals the grams left in the open lots."""

from __future__ import annotations

from reward_ledger.forest.items import LOT_POOL, Lot
from reward_ledger.ledger import Ledger


def pool_mismatches(ledger: Ledger) -> list[dict[str, int]]:
    """Shards of ``system/lots/O2`` whose balance differs from the grams left in the open lots pinned to
    them (a scan: an operator's or test's check, next to the ledger's own reconciliation)."""
    expected = [0] * LOT_POOL.policy.shards
    for lot in Lot.scan(Lot.sk.startswith("LOT#") & (Lot.state == "open")):
        expected[int(lot.pool_shard)] += lot.remaining
    actual = ledger.shard_balances(LOT_POOL)
    return [
        {"shard": shard, "balance": actual[shard], "open_lots": expected[shard]}
        for shard in range(len(expected))
        if actual[shard] != expected[shard]
    ]

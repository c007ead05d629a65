"""What a fresh local stack starts with, besides empty tables.

In AWS some accounts are funded by operations, not by users: the games' house budget and the seeded
sponsors' prepaid money. Locally they are funded at start-up (idempotently, from ``external`` accounts,
so the books still balance) so that game results and the seeded campaigns (``data/campaigns.toml``:
the sponsor boosts of games and levels, a sponsored savings choice) pay out at once. ``python -m infra.local --no-seed`` (or
``LOCAL_SEED=0``) starts with nothing at all. Stock (coupons, cabinets) comes from their scheduled
functions: run them with ``POST /_local/schedules/{function}``.
"""

from __future__ import annotations

import os

LOCAL_HOUSE_BUDGET = 10_000_000  # fen: 100,000.00 CNY for base game rewards


def enabled() -> bool:
    return os.environ.get("LOCAL_SEED", "1").lower() not in ("0", "false", "no", "off")


def seed() -> list[str]:
    """Fund what the features need; returns what was seeded (for the console and ``GET /_local``)."""
    seeded: list[str] = []
    from reward_ledger.campaigns.seed import seed_campaigns
    from reward_ledger.games import seed_budgets
    from reward_ledger.runtime import ledger

    seed_budgets(ledger(), house=LOCAL_HOUSE_BUDGET, tag="local-seed")
    seeded.append(f"games house budget {LOCAL_HOUSE_BUDGET} fen")
    seeded.extend(seed_campaigns(ledger(), fund=True))
    return seeded

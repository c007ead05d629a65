"""What a fresh local stack starts with, besides empty tables.

In AWS some accounts are funded by operations, not by users: the games' house budget and the sponsors'
campaign budgets. Locally they are funded at start-up (idempotently, from ``external`` accounts, so the
books still balance) so that game results can pay out at once. ``python -m infra.local --no-seed`` (or
``LOCAL_SEED=0``) starts with nothing at all. Stock (coupons, cabinets) comes from their scheduled
functions: run them with ``POST /_local/schedules/{function}``.
"""

from __future__ import annotations

import os

LOCAL_HOUSE_BUDGET = 10_000_000  # fen: 100,000.00 CNY for base game rewards
LOCAL_CAMPAIGN_BUDGET = 1_000_000  # fen per sponsor campaign


def enabled() -> bool:
    return os.environ.get("LOCAL_SEED", "1").lower() not in ("0", "false", "no", "off")


def seed() -> list[str]:
    """Fund what the features need; returns what was seeded (for the console and ``GET /_local``)."""
    seeded: list[str] = []
    try:
        from reward_ledger.games import config, seed_budgets
        from reward_ledger.runtime import ledger
    except ImportError:  # the games feature is not there (yet)
        return seeded
    campaigns = {c.campaign_id: LOCAL_CAMPAIGN_BUDGET for c in config().campaigns}
    seed_budgets(ledger(), house=LOCAL_HOUSE_BUDGET, campaigns=campaigns, tag="local-seed")
    seeded.append(f"games house budget {LOCAL_HOUSE_BUDGET} fen")
    seeded.extend(f"campaign {c} budget {LOCAL_CAMPAIGN_BUDGET} fen" for c in sorted(campaigns))
    return seeded

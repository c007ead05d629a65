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
LOCAL_GAME_SECRET = "local-game-secret"


def enabled() -> bool:
    return os.environ.get("LOCAL_SEED", "1").lower() not in ("0", "false", "no", "off")


def seed() -> list[str]:
    """Fund what the features need; returns what was seeded (for the console and ``GET /_local``).

    The catalogs are loaded by the code the deploy's ``CatalogSeed`` custom resource runs; the seeded
    games' SSM secrets (provisioned out of band in AWS) get the local secret."""
    seeded: list[str] = []
    from reward_ledger.catalog_seed import seed_catalogs
    from reward_ledger.games import seed_budgets
    from reward_ledger.runtime import ledger

    seeded.extend(seed_game_secrets())
    seed_budgets(ledger(), house=LOCAL_HOUSE_BUDGET, tag="local-seed")
    seeded.append(f"games house budget {LOCAL_HOUSE_BUDGET} fen")
    seeded.extend(seed_catalogs(ledger(), fund=True))
    return seeded


def seed_game_secrets() -> list[str]:
    """The seeded games' SecureString parameters, with ``LOCAL_GAME_SECRET`` (default
    ``local-game-secret``), as an operator provisions them in AWS before the first deploy."""
    import boto3

    from reward_ledger.games import config

    ssm = boto3.client("ssm")
    secret = os.environ.get("LOCAL_GAME_SECRET") or LOCAL_GAME_SECRET
    names = sorted({game.secret_parameter for game in config().games})
    for name in names:
        ssm.put_parameter(Name=name, Value=secret, Type="SecureString", Overwrite=True)
    return [f"game secret {name}" for name in names]

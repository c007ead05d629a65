"""The catalogs every environment starts with (``data/games.toml``'s games, ``data/campaigns.toml``),
loaded idempotently by the same code at deploy (the ``CatalogSeed`` custom resource of template.yaml,
``functions/catalog_seed``) and at local start (``infra/local_seed.py``).

Games first: seeded ``game.result`` campaigns name them. Each feature's seed states its own rule about
what a rerun does (``games.seed``, ``campaigns.seed``); neither overrules what an operator or a merchant
changed through the API since.
"""

from __future__ import annotations

from reward_ledger.ledger import Ledger


def seed_catalogs(ledger: Ledger, *, fund: bool = False) -> list[str]:
    """Seed both catalogs; ``fund`` (local stack, tests) funds the seeded merchants' prepaid first."""
    from reward_ledger.campaigns.seed import seed_campaigns
    from reward_ledger.games.seed import seed_games

    return [*seed_games(ledger), *seed_campaigns(ledger, fund=fund)]

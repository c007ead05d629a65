"""Cash-reward mini-games and withdrawals: catalog, sessions, rewards, anti-fraud, withdrawals.

Rules and decisions: docs/games.md. Numbers: data/games.toml.
"""

from reward_ledger.games.catalog import Game, config, game, games
from reward_ledger.games.rewards import (
    ResultInput,
    fund_budget,
    review_held,
    seed_budgets,
    submit_result,
)
from reward_ledger.games.sessions import open_session, sign
from reward_ledger.games.withdrawals import (
    process_withdrawal,
    request_withdrawal,
    withdrawal_status,
)

__all__ = [
    "Game",
    "ResultInput",
    "config",
    "fund_budget",
    "game",
    "games",
    "open_session",
    "process_withdrawal",
    "request_withdrawal",
    "review_held",
    "seed_budgets",
    "sign",
    "submit_result",
    "withdrawal_status",
]

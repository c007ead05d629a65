"""Cash-reward mini-games and withdrawals: catalog, sessions, rewards, anti-fraud, withdrawals.

Rules and decisions: docs/games.md. Numbers: data/games.toml. The catalog is data in the ledger table
(``registry``: operators' writes; ``live``: the hot path's cached reads; ``seed``: the file's games).
"""

from reward_ledger.games.catalog import Game, GameSpec, config
from reward_ledger.games.live import active_games as games
from reward_ledger.games.live import current as game
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
    "GameSpec",
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

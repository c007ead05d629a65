"""Gift cards: stored value bought from the wallet and held for one merchant; staff capture from it at
checkout (never below zero, racing captures exact); the first owner may give it to a friend once."""

from reward_ledger.giftcards.cards import BUY_KIND, CAPTURE_KIND, GIVE_KIND, buy, capture, give, my_cards
from reward_ledger.giftcards.items import MODELS, settings

__all__ = [
    "BUY_KIND",
    "CAPTURE_KIND",
    "GIVE_KIND",
    "MODELS",
    "buy",
    "capture",
    "give",
    "my_cards",
    "settings",
]

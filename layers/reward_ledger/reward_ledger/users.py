"""What every feature knows about a user, written once: the id pattern of a user (the token's subject, a
friend id, an event's ``user_id``) and the wallet account the user's own money sits in."""

from __future__ import annotations

import re

from reward_ledger.ledger import Account, user_account

#: a user id: the token's ``sub`` and every ``user_id`` of an event or a path
USER_ID_PATTERN = r"^[A-Za-z0-9_.@:-]{1,128}$"
USER_ID = re.compile(USER_ID_PATTERN)
#: the wallet's currency (funding, savings, rental deposits and withdrawals all move it)
WALLET_ASSET = "CNY"


def wallet_account(user_id: str) -> Account:
    """``user:<id>/wallet/CNY``: funded by ``wallet.funded`` events, spent by the features."""
    return user_account(user_id, "wallet", WALLET_ASSET)

"""Which entry kinds an operator may reverse, and the hook that undoes each one's feature state.

Declared here, in one place and explicitly (no registration by import), because the audit routes must
know every feature's answer while features never import each other. A kind missing here is refused
with ``not-reversible``; the reasons kind by kind are in docs/ledger.md ("Reversals").
"""

from __future__ import annotations

from collections.abc import Mapping

# A pending entry is voided through Ledger.resolve, which runs its kind's on_resolve hook (a withdrawal's
# day limit given back, a rental's counters, a held reward unlisted). Those features register their hooks
# when imported, so the audit process imports every owner of a two-phase kind here, by name, until the
# ledger's wiring module declares the hooks itself.
from reward_ledger import rentals  # noqa: F401
from reward_ledger.games import rewards, withdrawals  # noqa: F401
from reward_ledger.games.reversal import undo_result
from reward_ledger.ledger.reversal import ReversalHook, no_feature_state
from reward_ledger.savings.reversal import undo_choice

REVERSAL_HOOKS: Mapping[str, ReversalHook] = {
    # balances only: the opposite postings are the whole reversal
    "wallet.funded": no_feature_state,
    "savings.release": no_feature_state,
    "games.budget.funded": no_feature_state,
    # the story's progress and the user's savings totals go back with the money
    "savings.choice": undo_choice,
    # the grant goes back off the day's cap counter
    "games.result": undo_result,
}

# Kinds refused on purpose, and why (the 422 not-reversible answer says it). A kind in neither mapping
# is refused too; tests/audit check that every kind the features write is decided in one or the other.
NOT_REVERSIBLE: Mapping[str, str] = {
    "payment.rewards": "its oxygen lots, feed and treasure boxes are feature state spent on their own",
    "forest.collect": "the collected lots are gone; the energy may already be spent on trees or water",
    "forest.steal": "the friend's lot records the steal; reversing would allow a second one",
    "forest.water": "a gift to a friend, who may have spent it",
    "forest.tree": "the certificate is issued and cannot be withdrawn",
    "forest.expiry": "expiry is the rule applied; re-granting lots is a new entry",
    "farm.feed": "the meal it started has run",
    "farm.feed.friend": "the meal it started has run",
    "farm.meal": "egg progress and eggs follow the meal",
    "farm.eggs.expiry": "expiry is the rule applied",
    "charity.donation.egg": "the project's raised total and donor records follow it",
    "charity.donation.seed": "the project's raised total and donor records follow it",
    "seeds.box.granted": "the box item is issued to the user",
    "seeds.box.opened": "the box is opened and its verifiable draw published",
    "coupon.stock.issued": "stock counters follow it",
    "coupon.redeemed": "the coupon is issued to the user and the stock counted",
    "cabinet.stock.issued": "stock counters follow it",
    "rental.returned": "the rental's state and counters follow it",
    "games.withdrawal": "a posted withdrawal was paid out; a pending one is voided instead",
    "rental": "a posted deposit was forfeited; a pending one is voided instead",
}

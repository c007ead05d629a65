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
from reward_ledger.ledger.reversal import ReversalHook, no_feature_state
from reward_ledger.savings_reversal import undo_choice

REVERSAL_HOOKS: Mapping[str, ReversalHook] = {
    # balances only: the opposite postings are the whole reversal
    "wallet.funded": no_feature_state,
    "savings.release": no_feature_state,
    "games.budget.funded": no_feature_state,
    # the story's progress and the user's savings totals go back with the money
    "savings.choice": undo_choice,
}

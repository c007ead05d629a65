"""Deposit-free rentals from sharing cabinets.

A rental is ONE two-phase ledger entry (``Ledger.hold``) with up to two legs, each parked in
``system/hold/<asset>`` while the item is out:

* deposit ``user:<u>/wallet/CNY -> system/forfeited/CNY`` (left out when the user's trust tier waives it);
* item ``cabinet:<c>/stock/<ASSET> -> user:<u>/unreturned/<ASSET>`` (one unit: cabinets are counted stock,
  a ledger account per cabinet and item type, so an empty cabinet refuses the rental in the same write).

A return voids the entry (deposit back to the wallet, the unit back into the cabinet's stock). No return by
the due time: the entry's expiry (``on_timeout="post"``) lets the scheduled hold-timeout sweep post it
(``Ledger.time_out``): the deposit goes to ``system/forfeited/CNY`` and the unit to the user's
``unreturned`` book, which is how a default is recorded, atomically, in the forfeit transaction itself.
Void and post are exclusive and happen once (the core's guard on the pending state).

Trust tier: from the user's own history, ``qualifying`` returns (loans that lasted ``min_loan_minutes``,
returned by their due time, at most one per local day; counted by the return's own void transaction, see
:mod:`~reward_ledger.rentals.trust`) and ``defaults`` (the user's ``unreturned`` balances; a default also
resets the qualifying count). The first configured tier whose rules hold applies; only a tier with
``waive_deposit`` borrows without a deposit.
"""

from reward_ledger.rentals.config import (
    ID_PATTERN,
    Cabinet,
    CabinetBatch,
    RentalItem,
    RentalSettings,
    Tier,
    TrustRules,
    cabinet_of,
    item_of,
    settings,
)
from reward_ledger.rentals.history import (
    FORFEITED,
    RENTAL_KIND,
    RentalHistory,
    RentalReturn,
    cabinet_stock,
    deposit_account,
    history_key,
    history_of,
    tier_of,
    unreturned_account,
)
from reward_ledger.rentals.lending import Rental, borrow, rental_view, return_rental
from reward_ledger.rentals.stock import CabinetView, cabinet_view, issue_cabinet_stock, issue_configured_stock
from reward_ledger.rentals.trust import CountedMeanwhile, Outcome, outcome_of, rental_over, trust_day

__all__ = [
    "FORFEITED",
    "ID_PATTERN",
    "RENTAL_KIND",
    "Cabinet",
    "CabinetBatch",
    "CabinetView",
    "CountedMeanwhile",
    "Outcome",
    "Rental",
    "RentalHistory",
    "RentalItem",
    "RentalReturn",
    "RentalSettings",
    "Tier",
    "TrustRules",
    "borrow",
    "cabinet_of",
    "cabinet_stock",
    "cabinet_view",
    "deposit_account",
    "history_key",
    "history_of",
    "issue_cabinet_stock",
    "issue_configured_stock",
    "item_of",
    "outcome_of",
    "rental_over",
    "rental_view",
    "return_rental",
    "settings",
    "tier_of",
    "trust_day",
    "unreturned_account",
]

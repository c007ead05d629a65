"""A coupon instance about to be issued, as the feature selling it sees it (neutral: the seeds shop and
the loyalty points exchange sell campaigns' coupons without knowing campaigns).

The campaign that funds it builds it (``reward_ledger.campaigns.shop``): the legs reserving its value
from the campaign's budget, the items that make it the buyer's (guards), and what the buyer is answered.
The seller puts both in its own entry, next to the price it takes, so paying and issuing are one
``TransactWriteItems``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reward_ledger.ledger import Account, Guard, Leg


@dataclass(frozen=True)
class Instance:
    """The coupon instance a purchase issues: its legs (the value reserved from ``funded_by``), its items
    (guards) and what the buyer is answered (``coupon_id``, ``code``, ``value``, ``expires_at``)."""

    legs: list[Leg]
    guards: list[Guard]
    view: dict[str, Any]
    funded_by: Account

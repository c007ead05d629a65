"""Loyalty programs: a merchant's points per yuan, tiers and validity (data set by its staff), points
earned by payments at that merchant, spent oldest first at checkout or on a campaign's coupon, expired oldest first by the sweep."""

from reward_ledger.loyalty.earn import EARN_KIND, MemberRow, earn
from reward_ledger.loyalty.exchange import EXCHANGE_KIND, exchange
from reward_ledger.loyalty.expiry import EXPIRY_ENTRY_KIND, expire_lots
from reward_ledger.loyalty.program import PROGRAM_KIND, ProgramBody, set_program
from reward_ledger.loyalty.spend import SPEND_KIND, spend
from reward_ledger.loyalty.view import LoyaltyView, loyalty_view

__all__ = [
    "EARN_KIND",
    "EXCHANGE_KIND",
    "EXPIRY_ENTRY_KIND",
    "PROGRAM_KIND",
    "SPEND_KIND",
    "LoyaltyView",
    "MemberRow",
    "ProgramBody",
    "earn",
    "exchange",
    "expire_lots",
    "loyalty_view",
    "set_program",
    "spend",
]

"""``GET /v1/me/loyalty``: per merchant, the points held, the tier, the next tier and what expires when."""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import Field

from reward_ledger.ledger import Ledger
from reward_ledger.loyalty.config import settings
from reward_ledger.loyalty.earn import MemberRow, member_pk
from reward_ledger.points import earned_since, open_lots, points_account, program_terms, tier_of
from reward_ledger.replies import Reply

#: merchants listed per user (one Query page of the member rows)
MAX_PROGRAMS = 100


class Expiring(Reply):
    points: int = Field(description="points of one lot still unspent", examples=[120])
    expires_at: str = Field(
        description="ISO-8601 UTC; the sweep expires them then", examples=["2027-12-01T03:00:00Z"]
    )


class ProgramStanding(Reply):
    merchant_id: str = Field(examples=["m1"])
    points: int = Field(description="points held at this merchant", examples=[320])
    tier: str | None = Field(
        description="tier reached by the points earned in the window", examples=["silver"]
    )
    next_tier: str | None = Field(description="the next tier up, if any", examples=["gold"])
    points_to_next: int | None = Field(description="points still to earn for the next tier", examples=[180])
    expiring: list[Expiring] = Field(description="the soonest expiring lots, oldest first")


class LoyaltyView(Reply):
    """The caller's standing in each program they earned points in."""

    programs: list[ProgramStanding]


def standing(ledger: Ledger, merchant_id: str, user_id: str, now: datetime) -> ProgramStanding | None:
    terms = program_terms(ledger, merchant_id)
    if terms is None:
        return None
    window = timedelta(days=int(terms.terms.get("tier_window_days", settings().default_tier_window_days)))
    earned = earned_since(merchant_id, user_id, now - window)
    tier, above = tier_of(terms.terms, earned)
    lots = open_lots(merchant_id, user_id)
    return ProgramStanding(
        merchant_id=merchant_id,
        points=ledger.balance(points_account(user_id, merchant_id)),
        tier=tier,
        next_tier=str(above["tier"]) if above else None,
        points_to_next=int(above["min_points"]) - earned if above else None,
        expiring=[
            Expiring(points=int(lot.left), expires_at=str(lot.valid_until))
            for lot in sorted(lots, key=lambda lot: str(lot.valid_until))[: settings().expiring_listed]
        ],
    )


def loyalty_view(ledger: Ledger, user_id: str, now: datetime) -> LoyaltyView:
    merchants = [row.sk for row in MemberRow.query(member_pk(user_id), limit=MAX_PROGRAMS)]
    found = [standing(ledger, m, user_id, now) for m in merchants]
    return LoyaltyView(programs=[s for s in found if s is not None])

"""A merchant's loyalty program, set by its staff: points per yuan, tiers, how long points stay valid.

Setting it is one ledger entry without legs whose guard writes the program item with the next version;
grants check that version in their own transaction (see ``reward_ledger.points``).
"""

from __future__ import annotations

from typing import Any

from pydantic import Field
from pynamodb.expressions.condition import Condition

from reward_ledger import clock
from reward_ledger.config import StrictModel, WholeInt
from reward_ledger.errors import RetriesExhausted
from reward_ledger.ledger import EntryRequest, EntryResult, Guard, IdempotencyKey, Ledger
from reward_ledger.loyalty.config import settings
from reward_ledger.merchant_refs import merchant_exists_guard
from reward_ledger.points import PROGRAM_SK, ProgramItem, program_pk

TIER_PATTERN = r"^[a-z][a-z0-9-]{0,31}$"
PROGRAM_KIND = "loyalty.program.set"


class Tier(StrictModel):
    tier: str = Field(pattern=TIER_PATTERN, description="the tier's name", examples=["gold"])
    min_points: WholeInt = Field(ge=0, le=10**9, description="points earned in the window to reach it")


class ProgramBody(StrictModel):
    earn_per_yuan: WholeInt = Field(
        ge=0, le=settings().max_earn_per_yuan, description="points per yuan (100 fen) spent", examples=[1]
    )
    tiers: list[Tier] = Field(
        default_factory=list,
        max_length=settings().max_tiers,
        description="a member is in the highest tier whose min_points they earned (names should differ)",
    )
    points_valid_days: WholeInt = Field(
        ge=1, le=settings().max_points_valid_days, description="days a point stays valid", examples=[365]
    )
    tier_window_days: WholeInt = Field(
        default=settings().default_tier_window_days,
        ge=1,
        le=settings().max_points_valid_days,
        description="tiers count the points earned over this many past days",
    )


def set_program(
    ledger: Ledger, merchant_id: str, body: ProgramBody, actor: str, idem: IdempotencyKey
) -> EntryResult:
    """Create or change the program (version n+1, guarded on the version read)."""
    unchanged: Condition
    try:
        current = ProgramItem.get(program_pk(merchant_id), PROGRAM_SK, consistent_read=True)
        version, unchanged = int(current.version), ProgramItem.version == int(current.version)
    except ProgramItem.DoesNotExist:
        version, unchanged = 0, ProgramItem.pk.does_not_exist()
    terms = body.model_dump(mode="json")
    item = ProgramItem(
        pk=program_pk(merchant_id),
        merchant_id=merchant_id,
        version=version + 1,
        terms=terms,
        updated_at=clock.iso(clock.now()),
    )
    response: dict[str, Any] = {"merchant_id": merchant_id, "version": version + 1, **terms}
    return ledger.transfer(
        EntryRequest(
            idempotency=idem,
            kind=PROGRAM_KIND,
            guards=[
                merchant_exists_guard(merchant_id),
                Guard.put(item, unchanged, lambda _old: RetriesExhausted("the program changed meanwhile")),
            ],
            metadata={"merchant_id": merchant_id, "version": version + 1, "actor": actor},
            response=response,
        )
    )

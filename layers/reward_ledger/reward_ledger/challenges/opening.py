"""A merchant opens a challenge: N local days, a check-in rule, optionally the first N winners only."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from reward_ledger import clock
from reward_ledger.challenges.items import (
    ChallengeItem,
    MerchantChallenge,
    challenge_pk,
    merchant_list_pk,
    settings,
)
from reward_ledger.config import StrictModel
from reward_ledger.errors import AlreadyDone
from reward_ledger.ledger import EntryRequest, EntryResult, Guard, IdempotencyKey, Ledger, unconditional
from reward_ledger.merchant_refs import merchant_exists_guard

ID_PATTERN = r"^[a-z0-9][a-z0-9-]{0,63}$"
OPEN_KIND = "challenge.opened"


class CheckinRule(StrictModel):
    """``payment.completed``: a payment at the merchant that day (of ``min_amount`` fen at least);
    ``merchant.verified``: staff check the user in (``POST .../challenges/{c}/checkins``)."""

    event: Literal["payment.completed", "merchant.verified"] = Field(examples=["payment.completed"])
    min_amount: int | None = Field(default=None, ge=1, le=10**12, description="fen, for payment check-ins")


class ChallengeBody(StrictModel):
    challenge_id: str = Field(pattern=ID_PATTERN, examples=["seven-days"])
    title: str = Field(min_length=1, max_length=120, examples=["7 days of Wahaha"])
    days: int = Field(
        ge=1, le=settings().max_days, description="consecutive local days to check in", examples=[7]
    )
    checkin: CheckinRule
    max_winners: int | None = Field(
        default=None, ge=1, le=settings().max_winners, description="only the first N completions win"
    )


def open_challenge(
    ledger: Ledger, merchant_id: str, body: ChallengeBody, actor: str, idem: IdempotencyKey
) -> EntryResult:
    """One entry without legs: the challenge (its id is global) and the merchant's list row."""
    cid, rule = body.challenge_id, body.checkin.model_dump(mode="json")
    item = ChallengeItem(
        pk=challenge_pk(cid),
        challenge_id=cid,
        merchant_id=merchant_id,
        title=body.title,
        days=body.days,
        checkin=rule,
        max_winners=body.max_winners,
        status="open",
        created_at=clock.iso(clock.now()),
    )
    listing = MerchantChallenge(pk=merchant_list_pk(merchant_id), sk=cid, checkin=rule)
    return ledger.transfer(
        EntryRequest(
            idempotency=idem,
            kind=OPEN_KIND,
            guards=[
                merchant_exists_guard(merchant_id),
                Guard.put(
                    item,
                    ChallengeItem.pk.does_not_exist(),
                    lambda _old: AlreadyDone(f"challenge id {cid!r} is already taken"),
                ),
                Guard.put(listing, None, unconditional),
            ],
            metadata={"challenge_id": cid, "merchant_id": merchant_id, "actor": actor},
            response={"challenge_id": cid, "status": "open"},
        )
    )

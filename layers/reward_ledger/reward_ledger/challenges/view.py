"""``GET /v1/me/challenges``, check-ins by payment, and whether a check-in reminder is still true."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import Field

from reward_ledger.challenges.checkin import check_in
from reward_ledger.challenges.days import ONE_DAY, Terms
from reward_ledger.challenges.items import (
    JoinedRow,
    MerchantChallenge,
    Participant,
    joined_pk,
    merchant_list_pk,
    participant_pk,
    settings,
)
from reward_ledger.ledger import Ledger
from reward_ledger.reminders.models import Reminder
from reward_ledger.replies import Reply


class ChallengeProgress(Reply):
    challenge_id: str = Field(examples=["seven-days"])
    status: Literal["active", "completed", "failed"] = Field(description="failed: a local day was missed")
    checked_in_days: int = Field(description="local days checked in so far", examples=[3])
    days: int = Field(examples=[7])
    today_checked_in: bool = Field(description="whether today (the user's local day) is checked in")
    next_deadline: str | None = Field(
        description="end of the next day to check in, ISO-8601 in the user's local time; null when over",
        examples=["2026-11-04T00:00:00+08:00"],
    )


class MyChallenges(Reply):
    """The caller's challenges with today's check-in and the next deadline in their local time."""

    challenges: list[ChallengeProgress]


def progress(p: Participant, now: datetime) -> ChallengeProgress:
    terms = Terms(p.challenge_id, p.merchant_id, p.zone, date.fromisoformat(p.start_day), int(p.days), None)
    today = terms.day_index(now)
    last = (date.fromisoformat(p.last_day) - terms.start).days + 1  # 0 before the first check-in
    status = str(p.status)
    if status == "active" and today > last + 1:
        status = "failed"  # yesterday passed without a check-in (the next attempt records it)
    deadline = terms.deadline(last + 1).isoformat() if status == "active" else None
    return ChallengeProgress(
        challenge_id=p.challenge_id,
        status=status,  # type: ignore[arg-type]
        checked_in_days=int(p.checked),
        days=int(p.days),
        today_checked_in=last == today,
        next_deadline=deadline,
    )


def my_challenges(user_id: str, now: datetime) -> MyChallenges:
    ids = [row.sk for row in JoinedRow.query(joined_pk(user_id), limit=settings().max_listed)]
    found = Participant.batch_get([(participant_pk(c, user_id), "PART") for c in ids])
    rows = sorted(found, key=lambda p: str(p.joined_at))
    return MyChallenges(challenges=[progress(p, now) for p in rows])


def check_in_by_payment(
    ledger: Ledger, user_id: str, merchant_id: str, amount: int, now: datetime
) -> list[dict[str, Any]]:
    """A payment at the merchant checks the user in to each of its challenges whose rule it meets."""
    outcomes = []
    for row in MerchantChallenge.query(merchant_list_pk(merchant_id)):
        rule = dict(row.checkin)
        if rule.get("event") == "payment.completed" and amount >= int(rule.get("min_amount") or 0):
            outcomes.append(check_in(ledger, row.sk, user_id, now, "payment"))
    return [o for o in outcomes if o.get("status") != "not-joined"]


def still_unchecked(reminder: Reminder) -> bool:
    """A ``challenge-checkin`` reminder is true while its day is not checked in and the challenge runs."""
    data = reminder.data or {}
    try:
        p = Participant.get(participant_pk(str(data["challenge_id"]), reminder.user_id), "PART")
    except (Participant.DoesNotExist, KeyError):
        return False
    return p.status == "active" and date.fromisoformat(p.last_day) + ONE_DAY == date.fromisoformat(
        str(data["day_date"])
    )

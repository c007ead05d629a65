"""Joining a challenge, and what joining and checking in share: the terms, the reminder, the deadline.

A participant sits in the ``ExpiryIndex`` (``exp_kind`` :data:`MISSED_EXP_KIND`) at the deadline of
the next day to check in; joining puts it there for day 1 and each check-in moves it to the next day
(``checkin.py``), in the same transaction, so the sweep finds exactly the participants who missed a day
(``missed.py``).
"""

from __future__ import annotations

from datetime import date

from reward_ledger import clock
from reward_ledger.challenges.days import ONE_DAY, Terms
from reward_ledger.challenges.items import (
    ChallengeItem,
    JoinedRow,
    Participant,
    challenge_pk,
    joined_pk,
    participant_pk,
)
from reward_ledger.errors import AlreadyDone, NotFound
from reward_ledger.ledger import (
    EntryRequest,
    EntryResult,
    Expiry,
    Guard,
    IdempotencyKey,
    Ledger,
    expiry_for,
    unconditional,
)
from reward_ledger.reminders.core import new_reminder, schedule_guard

JOIN_KIND = "challenge.joined"
CHECKIN_KIND = "challenge.checkin"
REPEATED_KIND = "challenge.checkin.repeated"  # a second check-in the same local day: its answer only
COMPLETED_KIND = "challenge.completed"
FINISHED_KIND = "challenge.finished"  # completed after the last winner: no prize event
FAILED_KIND = "challenge.failed"
REMINDER = "challenge-checkin"
MISSED_EXP_KIND = "challenge-day"  # the sweep's expirer: the day's deadline passed unchecked
_MEMO_TOPIC = "challenge-terms"


class ChallengeOver(AlreadyDone):
    """The participant's challenge is completed or failed: nothing more to check in."""


def day_deadline(terms: Terms, user_id: str, index: int) -> Expiry:
    """Where the participant sits in the expiry index while day ``index`` is the next to check in."""
    return expiry_for(participant_pk(terms.challenge_id, user_id), terms.deadline(index), MISSED_EXP_KIND)


def failed_key(challenge_id: str, user_id: str) -> IdempotencyKey:
    """The one ``challenge.failed`` entry of a participant, whoever finds the missed day first."""
    return IdempotencyKey(f"challenge:{challenge_id}:{user_id}", "failed", {})


def terms_of(ledger: Ledger, challenge_id: str, user_id: str) -> Terms | None:
    key = f"{challenge_id}#{user_id}"
    kept = ledger.memo.kept(_MEMO_TOPIC, key)
    if isinstance(kept, Terms):
        return kept
    try:
        p = Participant.get(participant_pk(challenge_id, user_id), "PART", consistent_read=True)
        c = ChallengeItem.get(challenge_pk(challenge_id), "CHALLENGE")
    except (Participant.DoesNotExist, ChallengeItem.DoesNotExist):
        return None
    max_winners = int(c.max_winners) if c.max_winners is not None else None
    terms = Terms(
        challenge_id, p.merchant_id, p.zone, date.fromisoformat(p.start_day), int(p.days), max_winners
    )
    ledger.memo.keep(_MEMO_TOPIC, key, terms)
    return terms


def reminder_guard(user_id: str, terms: Terms, index: int) -> Guard:
    data = {
        "challenge_id": terms.challenge_id,
        "day": index,
        "days": terms.days,
        "day_date": terms.date_of(index).isoformat(),
        "today_checked_in": False,
        "next_deadline": terms.deadline(index).isoformat(),
    }
    reminder = new_reminder(
        user_id, REMINDER, f"{terms.challenge_id}:{index}", terms.reminder_at(index), data
    )
    return schedule_guard(reminder)


def join(ledger: Ledger, challenge_id: str, user_id: str, zone: str, idem: IdempotencyKey) -> EntryResult:
    """Join an open challenge; day 1 is today in ``zone`` (the caller's). Once per user (409 after)."""
    try:
        challenge = ChallengeItem.get(challenge_pk(challenge_id), "CHALLENGE")
    except ChallengeItem.DoesNotExist as exc:
        raise NotFound(f"no challenge {challenge_id!r}") from exc
    now = clock.now()
    start = clock.local_day(now, zone)
    terms = Terms(challenge_id, challenge.merchant_id, zone, start, int(challenge.days), None)
    deadline = day_deadline(terms, user_id, 1)
    participant = Participant(
        pk=participant_pk(challenge_id, user_id),
        challenge_id=challenge_id,
        merchant_id=challenge.merchant_id,
        user_id=user_id,
        zone=zone,
        start_day=start.isoformat(),
        last_day=(start - ONE_DAY).isoformat(),
        days=int(challenge.days),
        status="active",
        joined_at=clock.iso(now),
        exp_bucket=deadline.bucket,
        expires_at=deadline.at,
        exp_kind=deadline.kind,
    )
    guards = [
        Guard.check(
            ChallengeItem,
            challenge_pk(challenge_id),
            "CHALLENGE",
            ChallengeItem.status == "open",
            lambda _old: NotFound(f"challenge {challenge_id!r} is not open"),
        ),
        Guard.put(
            participant,
            Participant.pk.does_not_exist(),
            lambda _old: AlreadyDone(f"you already joined {challenge_id!r}"),
        ),
        Guard.put(JoinedRow(pk=joined_pk(user_id), sk=challenge_id), None, unconditional),
        reminder_guard(user_id, terms, 1),
    ]
    response = {
        "challenge_id": challenge_id,
        "joined_at": clock.iso(now),
        "days": int(challenge.days),
        "checked_in_days": 0,
    }
    return ledger.transfer(
        EntryRequest(
            idempotency=idem,
            kind=JOIN_KIND,
            guards=guards,
            metadata={"challenge_id": challenge_id, "user_id": user_id, "zone": zone},
            response=response,
        )
    )

"""Joining a challenge and checking in: one entry each, one ``TransactWriteItems`` on the happy path.

A check-in's entry is keyed by (challenge, user, day index), so two check-ins on one local day count
once (the second replays, whatever triggered it). Its guard moves the participant from "last checked
yesterday" to "last checked today": a missed day fails that condition, and the participant is marked
``failed`` by a follow-up entry. Completing the last day sets ``completed`` and, while winners are left,
is a ``challenge.completed`` entry, which the stream publishes for campaigns to pay prizes (at most once
per user: the campaign award is keyed by challenge and user).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

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
from reward_ledger.errors import AlreadyDone, LedgerError, NotFound
from reward_ledger.ledger import EntryRequest, EntryResult, Guard, IdempotencyKey, Ledger, unconditional
from reward_ledger.reminders.core import new_reminder, schedule_guard

JOIN_KIND = "challenge.joined"
CHECKIN_KIND = "challenge.checkin"
COMPLETED_KIND = "challenge.completed"
FINISHED_KIND = "challenge.finished"  # completed after the last winner: no prize event
FAILED_KIND = "challenge.failed"
REMINDER = "challenge-checkin"
_MEMO_TOPIC = "challenge-terms"


class ChallengeOver(AlreadyDone):
    """The participant's challenge is completed or failed: nothing more to check in."""


class _Missed(LedgerError):
    """The participant did not check in yesterday (internal: the challenge is failed)."""


class _NoPrizeLeft(LedgerError):
    """Every winner's place is taken (internal: the completion is a ``challenge.finished``)."""


def _terms(ledger: Ledger, challenge_id: str, user_id: str) -> Terms | None:
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


def _reminder(user_id: str, terms: Terms, index: int) -> Guard:
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
        _reminder(user_id, terms, 1),
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


def _refusal(old: Mapping[str, Any] | None) -> LedgerError:
    status = str((old or {}).get("status", {}).get("S", "missing"))
    if status != "active":
        return ChallengeOver(f"this challenge is {status}", status=status)
    return _Missed("a day was missed")


def _fail(ledger: Ledger, terms: Terms, user_id: str) -> dict[str, Any]:
    """Mark the participant failed (once): a day passed without a check-in."""
    key = participant_pk(terms.challenge_id, user_id)
    current = Participant.get(key, "PART", consistent_read=True)
    if current.status != "active":
        return {"challenge_id": terms.challenge_id, "status": current.status, "over": True}
    guard = Guard.update(
        Participant(pk=key, sk="PART"),
        [Participant.status.set("failed")],
        (Participant.status == "active") & (Participant.last_day == current.last_day),
        lambda _old: ChallengeOver("changed meanwhile"),
    )
    idem = IdempotencyKey(f"challenge:{terms.challenge_id}:{user_id}", "failed", {})
    ledger.transfer(
        EntryRequest(
            idempotency=idem,
            kind=FAILED_KIND,
            guards=[guard],
            metadata={"challenge_id": terms.challenge_id, "user_id": user_id, "last_day": current.last_day},
        )
    )
    return {"challenge_id": terms.challenge_id, "status": "failed", "over": True}


def check_in(ledger: Ledger, challenge_id: str, user_id: str, now: datetime, via: str) -> dict[str, Any]:
    """Check ``user_id`` in for today (their local day); the outcome says what it did."""
    terms = _terms(ledger, challenge_id, user_id)
    if terms is None:
        return {"challenge_id": challenge_id, "status": "not-joined"}
    index = terms.day_index(now)
    if index < 1 or index > terms.days:
        return _fail(ledger, terms, user_id)
    completing = index == terms.days
    winner = completing
    while True:
        request = _checkin_request(terms, user_id, index, completing, winner, via)
        try:
            result = ledger.transfer(request)
        except _NoPrizeLeft:
            winner = False
            continue
        except _Missed:
            return _fail(ledger, terms, user_id)
        except ChallengeOver as exc:  # completed or failed already: an outcome for a payment's check-in
            return {"challenge_id": challenge_id, "status": str(exc.context.get("status")), "over": True}
        return {**(result.response or {}), "replayed": result.replayed}


def _checkin_request(
    terms: Terms, user_id: str, index: int, completing: bool, winner: bool, via: str
) -> EntryRequest:
    day = terms.date_of(index)
    actions = [Participant.last_day.set(day.isoformat()), Participant.checked.add(1)]
    if completing:
        actions += [Participant.status.set("completed"), Participant.winner.set(winner)]
    condition = (
        (Participant.status == "active")
        & (Participant.last_day == (day - ONE_DAY).isoformat())
        & (Participant.start_day == terms.start.isoformat())
    )
    guards = [
        Guard.update(
            Participant(pk=participant_pk(terms.challenge_id, user_id), sk="PART"),
            actions,
            condition,
            _refusal,
        )
    ]
    if completing and winner and terms.max_winners is not None:
        guards.append(
            Guard.update(
                ChallengeItem(pk=challenge_pk(terms.challenge_id), sk="CHALLENGE"),
                [ChallengeItem.winners.add(1)],
                ChallengeItem.winners < terms.max_winners,
                lambda _old: _NoPrizeLeft("every winner's place is taken"),
            )
        )
    if not completing:
        guards.append(_reminder(user_id, terms, index + 1))
    kind = (COMPLETED_KIND if winner else FINISHED_KIND) if completing else CHECKIN_KIND
    status = "completed" if completing else "active"
    response: dict[str, Any] = {
        "challenge_id": terms.challenge_id,
        "user_id": user_id,
        "status": status,
        "checked_in_days": index,
        "days": terms.days,
        "today_checked_in": True,
        "next_deadline": None if completing else terms.deadline(index + 1).isoformat(),
    }
    if completing:
        response["winner"] = winner
    return EntryRequest(
        idempotency=IdempotencyKey(f"challenge:{terms.challenge_id}:{user_id}", f"day:{index}", {}),
        kind=kind,
        guards=guards,
        metadata={"challenge_id": terms.challenge_id, "user_id": user_id, "day": index, "via": via},
        response=response,
    )

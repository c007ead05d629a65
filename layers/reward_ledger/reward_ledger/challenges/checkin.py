"""Checking in: one entry, one ``TransactWriteItems`` on the happy path.

Whoever checks a participant in names the entry's idempotency key: staff the request's
``Idempotency-Key`` (a replay answers the first result, another body under the key is a 409), a payment
the day itself (every payment that day is the same check-in). Counting a day once is the participant's
guard, whatever the key: it moves the participant from "last checked yesterday" to "last checked
today" and the expiry index to the next day's deadline. When the day is already checked in, the
refusal's old image is that day's result: a staff request records it under its own key as a
``challenge.checkin.repeated`` entry that changes nothing else (so its replay still answers it), and
answers ``result: already-checked-in``. A missed day fails that condition too, and the participant is
marked ``failed`` (``missed.py``). Completing the last day sets ``completed`` and, while winners are left,
is a ``challenge.completed`` entry, which the stream publishes for campaigns to pay prizes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

from reward_ledger.challenges.days import ONE_DAY, Terms
from reward_ledger.challenges.items import ChallengeItem, Participant, challenge_pk, participant_pk
from reward_ledger.challenges.missed import fail
from reward_ledger.challenges.participation import (
    CHECKIN_KIND,
    COMPLETED_KIND,
    FINISHED_KIND,
    REPEATED_KIND,
    ChallengeOver,
    day_deadline,
    reminder_guard,
    terms_of,
)
from reward_ledger.errors import IdempotencyConflict, LedgerError
from reward_ledger.ledger import EntryRequest, Guard, IdempotencyKey, Ledger

CHECKED_IN = "checked-in"
ALREADY_CHECKED_IN = "already-checked-in"


class _Missed(LedgerError):
    """The participant did not check in yesterday (internal: the challenge is failed)."""


class _NoPrizeLeft(LedgerError):
    """Every winner's place is taken (internal: the completion is a ``challenge.finished``)."""


class _AlreadyToday(LedgerError):
    """Today is checked in already (internal: the old image is the day's result)."""


def check_in(
    ledger: Ledger,
    challenge_id: str,
    user_id: str,
    now: datetime,
    via: str,
    idem: IdempotencyKey | None = None,
) -> dict[str, Any]:
    """Check ``user_id`` in for today (their local day) under ``idem`` (``None``: the day's own key)."""
    terms = terms_of(ledger, challenge_id, user_id)
    if terms is None:
        return {"challenge_id": challenge_id, "status": "not-joined"}
    index = terms.day_index(now)
    if index < 1 or index > terms.days:
        first = ledger.entry(idem.entry_id) if idem is not None else None  # a replay after the last day
        if first is not None and idem is not None:
            if first.request_hash != idem.request_hash:
                raise IdempotencyConflict("this Idempotency-Key was already used with a different request")
            return {**(first.response or {}), "replayed": True}
        return fail(ledger, terms, user_id)
    completing = index == terms.days
    winner = completing
    while True:
        request = _request(terms, user_id, index, completing, winner, via, idem)
        try:
            result = ledger.transfer(request)
        except _NoPrizeLeft:
            winner = False
            continue
        except _Missed:
            return fail(ledger, terms, user_id)
        except _AlreadyToday as exc:
            return _repeated(ledger, terms, user_id, index, dict(exc.context["old"]), via, idem)
        except ChallengeOver as exc:  # completed or failed already: an outcome for a payment's check-in
            return {"challenge_id": challenge_id, "status": str(exc.context.get("status")), "over": True}
        return {**(result.response or {}), "replayed": result.replayed}


def _refusal(today: date) -> Callable[[Mapping[str, Any] | None], LedgerError]:
    def refused(old: Mapping[str, Any] | None) -> LedgerError:
        if old and old.get("last_day", {}).get("S") == today.isoformat():
            return _AlreadyToday("today is checked in already", old=old)
        status = str((old or {}).get("status", {}).get("S", "missing"))
        if status != "active":
            return ChallengeOver(f"this challenge is {status}", status=status)
        return _Missed("a day was missed")

    return refused


def _result(terms: Terms, user_id: str, index: int, status: str, winner: bool | None) -> dict[str, Any]:
    """The day's check-in as its answer says it."""
    response: dict[str, Any] = {
        "challenge_id": terms.challenge_id,
        "user_id": user_id,
        "status": status,
        "checked_in_days": index,
        "days": terms.days,
        "today_checked_in": True,
        "next_deadline": terms.deadline(index + 1).isoformat() if status == "active" else None,
    }
    if winner is not None:
        response["winner"] = winner
    return response


def _request(
    terms: Terms,
    user_id: str,
    index: int,
    completing: bool,
    winner: bool,
    via: str,
    idem: IdempotencyKey | None,
) -> EntryRequest:
    day = terms.date_of(index)
    actions = [Participant.last_day.set(day.isoformat()), Participant.checked.add(1)]
    if completing:
        actions += [
            Participant.status.set("completed"),
            Participant.winner.set(winner),
            Participant.exp_bucket.remove(),
            Participant.expires_at.remove(),
            Participant.exp_kind.remove(),
        ]
    else:
        deadline = day_deadline(terms, user_id, index + 1)
        actions += [
            Participant.exp_bucket.set(deadline.bucket),
            Participant.expires_at.set(deadline.at),
            Participant.exp_kind.set(deadline.kind),
        ]
    condition = (
        (Participant.status == "active")
        & (Participant.last_day == (day - ONE_DAY).isoformat())
        & (Participant.start_day == terms.start.isoformat())
    )
    key = participant_pk(terms.challenge_id, user_id)
    guards = [Guard.update(Participant(pk=key, sk="PART"), actions, condition, _refusal(day))]
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
        guards.append(reminder_guard(user_id, terms, index + 1))
    kind = (COMPLETED_KIND if winner else FINISHED_KIND) if completing else CHECKIN_KIND
    status = "completed" if completing else "active"
    response = {
        **_result(terms, user_id, index, status, winner if completing else None),
        "result": CHECKED_IN,
    }
    day_key = IdempotencyKey(f"challenge:{terms.challenge_id}:{user_id}", f"day:{index}", {})
    return EntryRequest(
        idempotency=idem or day_key,
        kind=kind,
        guards=guards,
        metadata={"challenge_id": terms.challenge_id, "user_id": user_id, "day": index, "via": via},
        response=response,
    )


def _repeated(
    ledger: Ledger,
    terms: Terms,
    user_id: str,
    index: int,
    old: Mapping[str, Any],
    via: str,
    idem: IdempotencyKey | None,
) -> dict[str, Any]:
    """Today was checked in already: answer that day's result; under a request's key, record the answer
    (nothing else changes) so that its replay answers it too."""
    status = str(old.get("status", {}).get("S", "active"))
    winner = old.get("winner", {}).get("BOOL") if status == "completed" else None
    answer = {**_result(terms, user_id, index, status, winner), "result": ALREADY_CHECKED_IN}
    if idem is None:
        return {**answer, "replayed": False}
    day = terms.date_of(index).isoformat()
    still_today = Guard.check(
        Participant,
        participant_pk(terms.challenge_id, user_id),
        "PART",
        Participant.last_day == day,
        lambda _old: ChallengeOver("the day's check-in changed meanwhile", status="changed"),
    )
    result = ledger.transfer(
        EntryRequest(
            idempotency=idem,
            kind=REPEATED_KIND,
            guards=[still_today],
            metadata={"challenge_id": terms.challenge_id, "user_id": user_id, "day": index, "via": via},
            response=answer,
        )
    )
    return {**(result.response or {}), "replayed": result.replayed}

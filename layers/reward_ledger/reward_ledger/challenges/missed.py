"""A missed local day fails the challenge: found by the sweep, or by the next check-in, whichever is first.

Both write the participant's one ``challenge.failed`` entry (:func:`failed_key`): its guard flips
``active`` to ``failed`` and takes the participant out of the expiry index, under the condition that it
is still the one that was read (same last day checked, same deadline). A check-in in time moves the
deadline, so the sweep's guard fails and nothing is failed; a failed participant refuses the check-in.
The sweep waits ``fail_grace_seconds`` past a deadline, longer than any request lives, so a check-in
that arrived before the deadline has committed (or been refused) before the sweep looks at the day.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from pynamodb.expressions.condition import Condition

from reward_ledger import clock
from reward_ledger.challenges.days import Terms
from reward_ledger.challenges.items import Participant, participant_pk, settings
from reward_ledger.challenges.participation import FAILED_KIND, ChallengeOver, failed_key
from reward_ledger.errors import AlreadyDone
from reward_ledger.ledger import EntryRequest, Guard, Ledger


def _failing(challenge_id: str, user_id: str, last_day: str, condition: Condition) -> EntryRequest:
    guard = Guard.update(
        Participant(pk=participant_pk(challenge_id, user_id), sk="PART"),
        [
            Participant.status.set("failed"),
            Participant.exp_bucket.remove(),
            Participant.expires_at.remove(),
            Participant.exp_kind.remove(),
        ],
        (Participant.status == "active") & (Participant.last_day == last_day) & condition,
        lambda _old: ChallengeOver("changed meanwhile", status="changed"),
    )
    return EntryRequest(
        idempotency=failed_key(challenge_id, user_id),
        kind=FAILED_KIND,
        guards=[guard],
        metadata={"challenge_id": challenge_id, "user_id": user_id, "last_day": last_day},
        response={"challenge_id": challenge_id, "status": "failed"},
    )


def fail(ledger: Ledger, terms: Terms, user_id: str) -> dict[str, Any]:
    """A check-in found a day missed: mark the participant failed (once)."""
    current = Participant.get(participant_pk(terms.challenge_id, user_id), "PART", consistent_read=True)
    if current.status == "active":
        request = _failing(terms.challenge_id, user_id, str(current.last_day), Participant.pk.exists())
        try:
            ledger.transfer(request)
        except ChallengeOver:
            current = Participant.get(current.pk, "PART", consistent_read=True)
            return {"challenge_id": terms.challenge_id, "status": current.status, "over": True}
        return {"challenge_id": terms.challenge_id, "status": "failed", "over": True}
    return {"challenge_id": terms.challenge_id, "status": current.status, "over": True}


def expire_missed(ledger: Ledger, raw_items: Sequence[Mapping[str, Any]]) -> int:
    """Expirer of ``challenge-day`` items: participants whose next day's deadline passed unchecked.

    Each is failed unless it changed since the index was read (a check-in in time moved its deadline);
    an item still inside the grace is left for the next sweep. Returns how many failed now.
    """
    cutoff = clock.iso(clock.now() - timedelta(seconds=settings().fail_grace_seconds))
    failed = 0
    for raw in raw_items:
        due = str(raw["expires_at"]["S"])
        if due > cutoff or raw.get("status", {}).get("S") != "active":
            continue
        request = _failing(
            str(raw["challenge_id"]["S"]),
            str(raw["user_id"]["S"]),
            str(raw["last_day"]["S"]),
            Participant.expires_at == due,
        )
        try:
            result = ledger.transfer(request)
        except (ChallengeOver, AlreadyDone):
            continue  # checked in (or failed by a check-in) meanwhile
        failed += 0 if result.replayed else 1
    return failed

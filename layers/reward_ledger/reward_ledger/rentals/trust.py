"""Trust earned over time: which returns count towards a tier, decided inside the return's own transaction.

Whoever ends a rental goes through ``Ledger.resolve``, whose resolution hook (:func:`rental_over`, declared
in ``reward_ledger.wiring``) adds the guards below to the same ``TransactWriteItems`` as the money:

* a return (void) updates the user's history item: one rental fewer out, ``on_time`` or ``late``, and, when
  the return qualifies, ``qualifying + 1`` and ``last_counted_day = <day>`` under the condition
  ``last_counted_day < <day>``. The hook reads the history first to decide; the condition makes that read
  safe: a concurrent return that counted the same day in between fails it, the whole void is cancelled
  (nothing moved) and :func:`~reward_ledger.rentals.lending.return_rental` runs it again, now seeing the
  day counted. Two returns on one local day thus count once, whatever the interleaving. The same
  transaction writes the rental's ``RentalReturn`` item with the outcome.
* a forfeit (post, by the hold timeout) lowers ``out`` and, per ``on_default.reset_returns``, sets
  ``qualifying`` back to 0. The default itself is the unit booked to ``unreturned`` by the same entry.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from pynamodb.expressions.update import Action

from reward_ledger import clock
from reward_ledger.cap_zones import cap_zone
from reward_ledger.errors import KeptChanging
from reward_ledger.ledger import Guard, unconditional
from reward_ledger.ledger.models import EntryItem
from reward_ledger.rentals.config import settings
from reward_ledger.rentals.history import RentalHistory, RentalReturn, history_item, history_key

Outcome = Literal["counted", "too-short", "late", "same-day"]
MAX_RETURN_ATTEMPTS = 3  # a return whose day was counted meanwhile is retried (then it reads same-day)


class CountedMeanwhile(KeptChanging):
    """Another return of the user qualified on this local day between the hook's read and the write."""


def trust_day(user_id: str, at: datetime) -> str:
    """The local day (ISO date) a return of ``user_id`` at ``at`` counts on.

    The day is counted in the user's *recorded* zone (``cap_zones``), the one their daily caps follow, never
    in a claim the user controls: a zone change takes effect only from the end of the recorded local day,
    so it can never make a day start again early and let two returns count on what is one day. A user
    with no record yet gets the product's default zone recorded (``ledger.toml`` ``default_timezone``).
    """
    return clock.local_day(at, cap_zone(user_id, None, at)).isoformat()


def outcome_of(
    borrowed_at: datetime, returned_at: datetime, due_at: datetime, day: str, last_counted: str | None
) -> Outcome:
    """Whether a return qualifies, and if not, why (the first rule it fails)."""
    if returned_at > due_at:
        return "late"
    if returned_at - borrowed_at < timedelta(minutes=settings().trust.min_loan_minutes):
        return "too-short"
    if last_counted is not None and day <= last_counted:
        return "same-day"
    return "counted"


def rental_over(header: EntryItem, action: Literal["post", "void"]) -> list[Guard]:
    """The guards that follow a rental's end, whoever ends it (a return, an operator, the hold timeout)."""
    metadata = header.metadata or {}
    user_id = str(metadata.get("user_id", ""))
    if not user_id:
        return []
    history = RentalHistory(pk=history_key(user_id), sk="HISTORY")
    actions: list[Action] = [RentalHistory.out.add(-1)]
    if action == "post":
        if settings().trust.on_default.reset_returns:
            actions.append(RentalHistory.qualifying.set(0))
        return [Guard.update(history, actions, None, unconditional)]

    returned_at = clock.now()
    day = trust_day(user_id, returned_at)
    item = history_item(user_id)
    last_counted = item.last_counted_day if item is not None else None
    due_at = clock.parse_iso(str(metadata["due_at"]))
    outcome = outcome_of(clock.parse_iso(str(header.created_at)), returned_at, due_at, day, last_counted)
    actions.append((RentalHistory.late if outcome == "late" else RentalHistory.on_time).add(1))
    condition = None
    if outcome == "counted":
        actions += [RentalHistory.qualifying.add(1), RentalHistory.last_counted_day.set(day)]
        condition = RentalHistory.last_counted_day.does_not_exist() | (RentalHistory.last_counted_day < day)
    marker = RentalReturn(
        pk=f"RENTAL#{header.entry_id}",
        sk="RETURN",
        user_id=user_id,
        returned_at=clock.iso(returned_at),
        on_time=outcome != "late",
        outcome=outcome,
    )
    return [
        Guard.update(
            history,
            actions,
            condition,
            lambda old: CountedMeanwhile(f"another return of {user_id} counted on {day} meanwhile"),
        ),
        Guard.put(marker, None, unconditional),
    ]

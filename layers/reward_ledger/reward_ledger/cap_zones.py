"""The zone a user's daily caps follow: recorded server-side, changed only from the next local day.

The game cap and the withdrawal limit count a *local* day. Taking that day from the token's
``zoneinfo`` claim let a user who reached the cap under Asia/Shanghai be paid again at once by claiming
``Etc/GMT+12`` (a day that had not reached its cap yet). So the zone is a record
(``pk=CAPZONE#<user>``): the first zone seen (the claim, else the default) is recorded on first use; a
different claim is only *scheduled*, to take effect at the end of the recorded local day (never
earlier) and at most once per ``zone_change_days`` (the first recorded zone is not a change) (``data/ledger.toml``). A cap day therefore never
restarts early: the day the cap was reached runs to its own midnight, whatever the token says.

Cost: the recorded zone cannot change before the recorded day ends, so a process remembers what it
read until then (in its own :class:`~reward_ledger.ledger.memo.Memo`, bounded like every memo) and
the happy path stays one DynamoDB call; the record is read (and written only when something changes)
once per user and local day, or when a new claim shows up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfoNotFoundError

from pynamodb.attributes import UnicodeAttribute
from pynamodb.exceptions import PutError
from pynamodb.transactions import TransactWrite

from reward_ledger import clock
from reward_ledger.config import ledger_settings
from reward_ledger.ledger.memo import Memo
from reward_ledger.ledger.models import LedgerTableMeta
from reward_ledger.ledger.table import LedgerModel

CAP_ZONE_SK = "CAPZONE"


class CapZone(LedgerModel):
    """The zone caps follow (``zone``), when it last changed (``changed_at``; never for the first zone)
    and a scheduled change, if any."""

    class Meta(LedgerTableMeta):
        pass

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default=CAP_ZONE_SK)
    zone = UnicodeAttribute()
    changed_at = UnicodeAttribute(null=True)
    next_zone = UnicodeAttribute(null=True)
    next_from = UnicodeAttribute(null=True)


@dataclass(frozen=True, slots=True)
class _Known:
    zone: str
    valid_until: datetime  # the recorded day's end, or the scheduled change, whichever is first
    next_zone: str | None


_KNOWN = "cap-zone"
# Per process, not per ledger: the zone is read by code that holds no ledger (the rental trust day).
_known = Memo()


def _valid(name: str | None) -> str | None:
    if not name:
        return None
    try:
        clock.zone(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return name


def _pk(user_id: str) -> str:
    return f"CAPZONE#{user_id}"


def _agreeing(user_id: str, claimed: str | None, now: datetime) -> str | None:
    """The zone this environment remembers for ``user_id`` if it still stands now and ``claimed`` (a
    valid zone or None) agrees with it (the zone itself or its scheduled successor); else None."""
    known: _Known | None = _known.kept(_KNOWN, user_id)
    if known and now < known.valid_until and claimed in (None, known.zone, known.next_zone):
        return known.zone
    return None


def forget_known() -> None:
    """Drop what this process remembers (tests that move the clock backwards)."""
    _known.clear()


def cap_zone(user_id: str, claimed: str | None, now: datetime | None = None) -> str:
    """The zone ``user_id``'s caps count days in now; a new valid ``claimed`` zone is scheduled."""
    now = now or clock.now()
    claimed = _valid(claimed)
    known = _agreeing(user_id, claimed, now)
    if known:
        return known
    record = _settle(user_id, claimed, now)
    until = clock.next_local_midnight(now, record.zone)
    if record.next_from:
        until = min(until, clock.parse_iso(record.next_from))
    _known.keep(_KNOWN, user_id, _Known(str(record.zone), until, record.next_zone))
    return str(record.zone)


def _settle(user_id: str, claimed: str | None, now: datetime) -> CapZone:
    """Read the record; create it, apply a due change or schedule a new one (one write at most)."""
    pk = _pk(user_id)
    try:
        record = CapZone.get(pk, CAP_ZONE_SK)
    except CapZone.DoesNotExist:
        zone = claimed or ledger_settings().time.default_timezone
        record = CapZone(pk=pk, sk=CAP_ZONE_SK, zone=zone)
        try:
            record.save(condition=CapZone.pk.does_not_exist())
        except PutError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise
            record = CapZone.get(pk, CAP_ZONE_SK)  # another request recorded the first zone: it counts
        return record
    changed = False
    if record.next_zone and record.next_from and clock.parse_iso(record.next_from) <= now:
        record.zone, record.changed_at = record.next_zone, record.next_from
        record.next_zone = record.next_from = None
        changed = True
    min_gap = timedelta(days=ledger_settings().time.zone_change_days)
    if (
        claimed
        and claimed not in (record.zone, record.next_zone)
        and (record.changed_at is None or now - clock.parse_iso(record.changed_at) >= min_gap)
    ):
        record.next_zone = claimed
        record.next_from = clock.iso(clock.next_local_midnight(now, record.zone))
        changed = True
    if changed:
        record.save()
    return record


@dataclass(frozen=True, slots=True)
class FirstUse:
    """Recording the zone inside the caller's own transaction (one round trip instead of a read and a
    write first): the record is created with ``zone`` or found holding exactly ``zone`` with no change
    scheduled; anything else fails the condition, and the caller settles it with :func:`cap_zone`."""

    user_id: str
    zone: str

    def add_to(self, tx: TransactWrite) -> None:
        item = CapZone(pk=_pk(self.user_id), sk=CAP_ZONE_SK)
        tx.update(
            item,
            actions=[CapZone.zone.set(CapZone.zone | self.zone)],
            condition=CapZone.pk.does_not_exist()
            | ((CapZone.zone == self.zone) & CapZone.next_zone.does_not_exist()),
        )

    def remember(self, now: datetime) -> None:
        """The transaction held: the zone stands until the recorded local day ends."""
        until = clock.next_local_midnight(now, self.zone)
        _known.keep(_KNOWN, self.user_id, _Known(self.zone, until, None))


def first_use(user_id: str, claimed: str | None, now: datetime | None = None) -> FirstUse | None:
    """``None`` when this environment knows the recorded zone agrees with ``claimed`` (nothing to write);
    else the zone to record in the caller's transaction (the claim, or the default without one)."""
    claimed = _valid(claimed)
    if _agreeing(user_id, claimed, now or clock.now()):
        return None
    return FirstUse(user_id, claimed or ledger_settings().time.default_timezone)

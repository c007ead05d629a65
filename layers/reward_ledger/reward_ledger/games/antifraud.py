"""Anti-fraud rules (numbers in ``data/games.toml``): suspect results are held for review, not paid.

* implausible numbers: score above the game's maximum or its maximum score rate, a duration outside the
  game's range, or a duration longer than the session has been open (checked by the session guard);
* rate: more than ``results_per_window`` results by one user inside one window of ``window_seconds``;
* device: one ``X-Device-Id`` used by more than ``max_accounts_per_device`` accounts, or no
  ``X-Device-Id`` at all (``hold_without_device``): a signal the client may leave out would be no rule.

The rate and device rules are counter items written by the same transaction that pays, with their
limits as conditions, so the happy path still costs one round trip; a failed condition cancels the
transaction and the result is written again as a held entry.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UnicodeSetAttribute
from pynamodb.expressions.condition import size

from reward_ledger.errors import LedgerError
from reward_ledger.games.catalog import Game, config
from reward_ledger.ledger import Guard
from reward_ledger.ledger.models import LedgerTableMeta
from reward_ledger.ledger.table import LedgerModel

DEVICE_ID = r"^[A-Za-z0-9_.:-]{1,128}$"


class ResultRate(LedgerModel):
    """``pk=GRATE#<user>``, ``sk=<window number>``: results counted in one rate window."""

    class Meta(LedgerTableMeta):
        pass

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    results = NumberAttribute(default=0)
    ttl = NumberAttribute(null=True)


class DeviceAccounts(LedgerModel):
    """``pk=GDEVICE#<device id>``: the accounts that sent results from one device."""

    class Meta(LedgerTableMeta):
        pass

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default="DEVICE")
    users = UnicodeSetAttribute(null=True)


class RateExceeded(LedgerError):
    """Too many results in the current window (internal: the result is retried as held)."""


class DeviceShared(LedgerError):
    """The device already serves too many accounts (internal: the result is retried as held)."""


def implausible(found: Game, score: int, duration_ms: int) -> list[str]:
    """Reasons why numbers no honest client produces are suspect (empty when plausible)."""
    reasons = []
    if score > found.max_score:
        reasons.append("score-above-max")
    if score * 1000 > found.max_score_per_second * duration_ms:
        reasons.append("score-rate")
    if not found.min_duration_ms <= duration_ms <= found.max_duration_ms:
        reasons.append("duration-range")
    return reasons


def rate_guard(user_id: str, now: datetime, *, enforce: bool) -> Guard:
    """Count the result in the user's current window; with ``enforce`` the count must stay in limit."""
    rules = config().antifraud
    window = int(now.timestamp()) // rules.window_seconds
    item = ResultRate(pk=f"GRATE#{user_id}", sk=str(window))
    condition = None
    if enforce:
        condition = ResultRate.results.does_not_exist() | (ResultRate.results < rules.results_per_window)
    expires = now + timedelta(seconds=rules.window_seconds) + timedelta(days=1)

    def refused(old: Mapping[str, Any] | None) -> LedgerError:
        return RateExceeded("too many results in this window")

    return Guard.update(
        item,
        [ResultRate.results.add(1), ResultRate.ttl.set(int(expires.timestamp()))],
        condition,
        refused,
    )


def device_guard(device_id: str, user_id: str) -> Guard:
    """Remember the account on the device; refuse (-> held) a new account beyond the limit."""
    limit = config().antifraud.max_accounts_per_device
    item = DeviceAccounts(pk=f"GDEVICE#{device_id}", sk="DEVICE")
    condition = (
        DeviceAccounts.users.does_not_exist()
        | DeviceAccounts.users.contains(user_id)
        | (size(DeviceAccounts.users) < limit)
    )

    def refused(old: Mapping[str, Any] | None) -> LedgerError:
        return DeviceShared("this device is used by too many accounts")

    return Guard.update(item, [DeviceAccounts.users.add({user_id})], condition, refused)

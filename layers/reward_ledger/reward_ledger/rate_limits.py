"""Per-user rate limits as data (``data/rate_limits.toml``), guarded by DynamoDB counters.

A limited action adds one to ``pk=RATE#<action>#<user>``, ``sk=<window number>`` in the **same**
``TransactWriteItems`` as its own write, with ``requests < limit`` as the condition: racing requests
cannot exceed the limit, a refused request writes nothing, and a replayed one (its own write's condition
fails) is not counted. Refused: ``RateLimited`` (429 ``rate-limited``) with ``Retry-After`` set to the
seconds left in the window.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from pydantic import PositiveInt, RootModel
from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from reward_ledger.config import StrictModel, load_model
from reward_ledger.errors import RateLimited
from reward_ledger.ledger.models import LedgerTableMeta
from reward_ledger.ledger.table import LedgerModel


class RateRule(StrictModel):
    limit: PositiveInt
    window_seconds: PositiveInt


class RateRules(RootModel[dict[str, RateRule]]):
    pass


@cache
def rules() -> dict[str, RateRule]:
    return load_model("rate_limits", RateRules).root


class RateWindow(LedgerModel):
    """``pk=RATE#<action>#<user>``, ``sk=<window number>``: how many times the action ran in one window."""

    class Meta(LedgerTableMeta):
        pass

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    requests = NumberAttribute(default=0)
    ttl = NumberAttribute(null=True)


@dataclass(frozen=True, slots=True)
class RateCharge:
    """One count of ``action`` for a user, to add to a ``TransactWrite`` with :meth:`add_to`."""

    action: str
    user_id: str
    now: datetime

    @property
    def rule(self) -> RateRule:
        return rules()[self.action]

    def add_to(self, transaction: Any) -> None:
        rule = self.rule
        window = int(self.now.timestamp()) // rule.window_seconds
        expires = self.now + timedelta(seconds=rule.window_seconds, days=1)
        item = RateWindow(pk=f"RATE#{self.action}#{self.user_id}", sk=str(window))
        transaction.update(
            item,
            actions=[RateWindow.requests.add(1), RateWindow.ttl.set(int(expires.timestamp()))],
            condition=RateWindow.requests.does_not_exist() | (RateWindow.requests < rule.limit),
        )

    def refused(self) -> RateLimited:
        rule = self.rule
        left = rule.window_seconds - int(self.now.timestamp()) % rule.window_seconds
        return RateLimited(
            f"at most {rule.limit} {self.action.replace('_', ' ')} per {rule.window_seconds} s",
            retry_after=left,
        )


class AlsoRefused(Exception):
    """The ``also`` action's own condition failed: nothing of the transaction was written."""


def write_charged(
    charge: RateCharge,
    write: Callable[[TransactWrite], None],
    also: Callable[[TransactWrite], None] | None = None,
) -> bool:
    """``write`` (one conditional action), ``charge`` and ``also`` (one more conditional action, if
    any) in one transaction.

    True when written; False when ``write``'s own condition failed (a replay: nothing counted);
    ``RateLimited`` when the window is full; ``AlsoRefused`` when ``also``'s condition failed (nothing
    written in either case).
    """
    # the table's shared connection: a Connection built here would build a botocore client per request
    connection = RateWindow._get_connection().connection
    try:
        with TransactWrite(connection=connection) as transaction:
            write(transaction)
            charge.add_to(transaction)
            if also is not None:
                also(transaction)
    except TransactWriteError as exc:
        codes = [getattr(reason, "code", None) for reason in exc.cancellation_reasons or []]
        if codes and codes[0] == "ConditionalCheckFailed":
            return False
        if len(codes) > 1 and codes[1] == "ConditionalCheckFailed":
            raise charge.refused() from exc
        if len(codes) > 2 and codes[2] == "ConditionalCheckFailed":
            raise AlsoRefused from exc
        raise
    return True

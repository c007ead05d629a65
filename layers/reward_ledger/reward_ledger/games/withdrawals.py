"""Withdrawals: ``cash -> wallet`` as a two-phase entry, resolved by a risk/payout worker on SQS.

* Request: the amount must reach the threshold (else 422 ``below-threshold``) and fit the user's daily
  limit (a counter guarded in the same transaction, else 422 ``daily-cap-reached``); the cash must cover
  it (the ledger's overdraft guard, else 422 ``insufficient-funds``). One ``TransactWriteItems`` parks
  the amount in ``system/hold/CNY`` (``Ledger.hold``); the withdrawal id is the entry id.
* The worker reads the entry, applies the risk rules (data) and posts (to the wallet) or voids (back to
  cash). ``Ledger.resolve`` is exactly once: a redelivered message replays, never pays twice.
* A pending withdrawal carries a hold timeout (void): if its message is lost, the expiry sweep voids it.
* A void (risk rejection, timeout, operator) gives its amount back to the day's limit in the same
  transaction that returns the cash: only money that left counts against the limit.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any, Literal

from pydantic import Field
from pynamodb.attributes import NumberAttribute, UnicodeAttribute

from reward_ledger import clock
from reward_ledger.errors import AlreadyDone, BelowThreshold, DailyCapReached, LedgerError, NotFound
from reward_ledger.games.catalog import config
from reward_ledger.ledger import (
    EntryRequest,
    EntryResult,
    Guard,
    IdempotencyKey,
    Ledger,
    Leg,
    expiry_for,
    unconditional,
    user_account,
)
from reward_ledger.ledger.models import EntryItem, LedgerTableMeta
from reward_ledger.ledger.table import LedgerModel
from reward_ledger.reminders.core import new_reminder, schedule_guard
from reward_ledger.replies import Reply
from reward_ledger.users import wallet_account

WITHDRAWAL_KIND = "games.withdrawal"
STATUS_OF_STATE = {"pending": "pending", "posted": "completed", "voided": "rejected"}


class DailyWithdrawn(LedgerModel):
    """``pk=GWDAY#<user>``, ``sk=<local day>``: fen requested for withdrawal that day."""

    class Meta(LedgerTableMeta):
        pass

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    amount = NumberAttribute(default=0)
    ttl = NumberAttribute(null=True)


def request_withdrawal(
    ledger: Ledger, user_id: str, amount: int, idem: IdempotencyKey, *, tz: str | None = None
) -> EntryResult:
    settings = config().withdrawals
    if amount < settings.threshold:
        raise BelowThreshold(f"withdrawals start at {settings.threshold} fen")
    if amount > settings.daily_limit:
        raise DailyCapReached(f"at most {settings.daily_limit} fen can be withdrawn per day")
    now = clock.now()
    day = clock.local_day(now, tz).isoformat()
    counter = DailyWithdrawn(pk=f"GWDAY#{user_id}", sk=day)

    def over_limit(old: Mapping[str, Any] | None) -> LedgerError:
        used = int((old or {}).get("amount", {}).get("N", 0))
        left = max(settings.daily_limit - used, 0)
        return DailyCapReached(f"the daily withdrawal limit leaves {left} fen today")

    guard = Guard.update(
        counter,
        [
            DailyWithdrawn.amount.add(amount),
            DailyWithdrawn.ttl.set(int((now + timedelta(days=60)).timestamp())),
        ],
        DailyWithdrawn.amount.does_not_exist() | (DailyWithdrawn.amount <= settings.daily_limit - amount),
        over_limit,
    )
    eid = idem.entry_id
    request = EntryRequest(
        idempotency=idem,
        kind=WITHDRAWAL_KIND,
        legs=[Leg(user_account(user_id, "cash", "CNY"), wallet_account(user_id), amount)],
        guards=[guard],
        metadata={"user_id": user_id, "amount": amount, "day": day},
        response={"withdrawal_id": eid, "status": "pending"},
        status_code=202,
    )
    timeout = now + timedelta(hours=settings.pending_timeout_hours)
    return ledger.hold(request, expiry=expiry_for(eid, timeout), on_timeout="void")


def limit_given_back(header: EntryItem, action: Literal["post", "void"]) -> list[Guard]:
    """On a void, the day's counter loses the amount again (no condition: a void must never be refused;
    a counter already gone by TTL is recreated negative on a long-past day, which nothing reads)."""
    meta = header.metadata or {}
    if action != "void" or "day" not in meta:
        return []
    counter = DailyWithdrawn(pk=f"GWDAY#{meta['user_id']}", sk=str(meta["day"]))
    return [Guard.update(counter, [DailyWithdrawn.amount.add(-int(meta["amount"]))], None, unconditional)]


def _outcome_reminder(header: EntryItem, action: Literal["post", "void"]) -> list[Guard]:
    """The user hears how the withdrawal ended (``withdrawal-completed`` / ``withdrawal-rejected``), in
    the resolving transaction: resolution happens once, so the reminder is written once."""
    meta = header.metadata or {}
    if "user_id" not in meta:
        return []
    kind = "withdrawal-completed" if action == "post" else "withdrawal-rejected"
    data = {"withdrawal_id": header.entry_id, "amount": int(meta.get("amount", 0))}
    data["status"] = "completed" if action == "post" else "rejected"
    return [schedule_guard(new_reminder(str(meta["user_id"]), kind, header.entry_id, clock.now(), data))]


def resolved(header: EntryItem, action: Literal["post", "void"]) -> list[Guard]:
    """The resolution hook of withdrawals (declared in the wiring): the day's limit given back on a void,
    and the outcome reminder."""
    return [*limit_given_back(header, action), *_outcome_reminder(header, action)]


def _withdrawal(ledger: Ledger, withdrawal_id: str) -> EntryItem:
    header = ledger.entry(withdrawal_id) if withdrawal_id.isalnum() and len(withdrawal_id) <= 64 else None
    if header is None or header.kind != WITHDRAWAL_KIND:
        raise NotFound(f"no withdrawal {withdrawal_id}")
    return header


class Withdrawal(Reply):
    """A withdrawal of the caller."""

    withdrawal_id: str
    amount: int = Field(description="fen", examples=[500])
    status: Literal["pending", "completed", "rejected"]
    created_at: str = Field(description="ISO-8601 UTC")


def withdrawal_status(ledger: Ledger, user_id: str, withdrawal_id: str) -> Withdrawal:
    """The owner's view; another user's withdrawal is not found (never revealed)."""
    header = _withdrawal(ledger, withdrawal_id)
    meta = header.metadata or {}
    if meta.get("user_id") != user_id:
        raise NotFound(f"no withdrawal {withdrawal_id}")
    return Withdrawal.model_validate(
        {
            "withdrawal_id": withdrawal_id,
            "amount": int(meta["amount"]),
            "status": STATUS_OF_STATE.get(str(header.state), "pending"),
            "created_at": header.created_at,
        }
    )


def risk_decision(meta: Mapping[str, Any]) -> tuple[Literal["post", "void"], str]:
    """Deterministic risk rules (so a redelivery decides the same): blocked users and large amounts
    are rejected (voided back to cash) for manual handling; the rest are paid out."""
    risk = config().withdrawals.risk
    if meta.get("user_id") in risk.blocked_users:
        return "void", "blocked-user"
    if int(meta.get("amount", 0)) > risk.max_auto_amount:
        return "void", "above-auto-limit"
    return "post", "ok"


def process_withdrawal(ledger: Ledger, withdrawal_id: str) -> str:
    """Risk check, then post or void exactly once; a repeat (redelivery) only reports the outcome."""
    header = _withdrawal(ledger, withdrawal_id)
    if header.state != "pending":
        return STATUS_OF_STATE.get(str(header.state), "pending")
    action, reason = risk_decision(header.metadata or {})
    try:
        ledger.resolve(withdrawal_id, action, actor="withdrawal-worker", note=reason)
    except AlreadyDone:  # resolved the other way meanwhile (timeout sweep): report what happened
        return STATUS_OF_STATE.get(str(_withdrawal(ledger, withdrawal_id).state), "pending")
    return "completed" if action == "post" else "rejected"

"""The one way money moves: :meth:`Ledger.transfer`.

An entry is written as a single ``TransactWriteItems``: the netted balance updates (guarded so
non-negative accounts cannot overdraw), the entry header (guarded by ``attribute_not_exists`` on a key
derived from the idempotency key) and the caller's guards. No read happens before the write on the
happy path. When the transaction is cancelled, each item's reason is mapped to a domain error; a
failed header condition means the entry already exists and its old image (``ALL_OLD``) is the answer:
same request hash, the first result is replayed; different hash, :class:`IdempotencyConflict`.
"""

from __future__ import annotations

import hashlib
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, cast

from botocore.exceptions import BotoCoreError
from pynamodb.exceptions import DoesNotExist, PynamoDBException, TransactWriteError

from reward_ledger import clock
from reward_ledger.config import RetryPolicy, ledger_settings
from reward_ledger.errors import (
    AlreadyResolved,
    IdempotencyConflict,
    InsufficientFunds,
    LedgerError,
    NotFound,
    RetriesExhausted,
)
from reward_ledger.ledger.accounts import Account, hold_account
from reward_ledger.ledger.entries import (
    EntryRequest,
    EntryResult,
    Expiry,
    Guard,
    GuardOp,
    IdempotencyKey,
    Leg,
    net_postings,
)
from reward_ledger.ledger.memo import Memo
from reward_ledger.ledger.models import BalanceItem, EntryItem, HistoryRow, PostingMap
from reward_ledger.observability import count_entry

RETRYABLE_ERRORS = frozenset(
    {
        "ThrottlingException",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "TransactionInProgressException",
        "InternalServerError",
    }
)
_OP_ORDER: dict[GuardOp, int] = {"ConditionCheck": 0, "Delete": 1, "Put": 2, "Update": 3}
MAX_TRANSACTION_ITEMS = 100
# items an entry writes per netted posting: its balance update and its history row (one rides on the header)
ITEMS_PER_POSTING = 2


#: a feature's guards for the post or void of its two-phase entries (see :class:`Ledger`)
ResolutionHook = Callable[[EntryItem, Literal["post", "void"]], Sequence[Guard]]


def shard_for(seed: str, account: Account, shards: int) -> int:
    """Stable shard of ``account`` for an entry: spreads a storm of entries evenly over the shards."""
    if shards <= 1:
        return 0
    digest = hashlib.sha256(f"{seed}|{account}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % shards


def balance_key(account: Account, shard: int) -> str:
    return f"BAL#{account}#{shard}"


def entry_key(entry_id: str) -> str:
    return f"ENTRY#{entry_id}"


def history_partition(account: Account, shard: int) -> str:
    """The HistoryIndex partition of one balance shard: the account itself when it has one shard, else
    ``<account>#<shard>``, so a hot account's history rows spread over as many GSI partitions as its
    balance items spread over table partitions (``#`` cannot occur in an account)."""
    return str(account) if account.policy.shards == 1 else f"{account}#{shard}"


def resolution_id(entry_id: str) -> str:
    """Entry id of the resolution (post or void) of the two-phase entry ``entry_id``."""
    return IdempotencyKey("resolve", entry_id).entry_id


@dataclass(frozen=True, slots=True)
class PlannedPosting:
    account: Account
    shard: int
    delta: int
    pinned: bool


@dataclass(slots=True)
class _TxItem:
    op: GuardOp
    kwargs: dict[str, Any]
    role: Literal["header", "balance", "guard", "history"]
    posting: PlannedPosting | None = None
    guard: Guard | None = None


@dataclass(slots=True)
class _Attempt:
    """Mutable state of one transfer across retries: shard rotations, split debits, conflict count."""

    rotations: dict[Account, int] = field(default_factory=dict)
    splits: dict[Account, list[tuple[int, int]]] = field(default_factory=dict)
    retries: int = 0


class Ledger:
    """Double-entry ledger on one DynamoDB table. Thread-safe; keep one per process.

    ``resolution_hooks`` (kind -> hook) lets the feature that owns two-phase entries of a kind add guards
    to their post or void. Every path that resolves an entry (its worker, an operator, the hold timeout of
    the expiry sweep) goes through :meth:`resolve`, so feature state that must follow the outcome (a daily
    limit given back on a void) changes in the same transaction as the money, whoever resolves it. The
    product's hooks are declared in ``reward_ledger.wiring`` and passed in by whoever builds the ledger,
    never found through what a process happened to import.

    ``memo`` holds the hints features keep between requests (see :class:`Memo`); it lives as long as
    this ledger: one Lambda execution environment, one test.
    """

    def __init__(
        self,
        *,
        resolution_hooks: Mapping[str, ResolutionHook] | None = None,
        memo: Memo | None = None,
        now: Callable[[], datetime] = clock.now,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self._now = now
        # kept as given: a lazy mapping (the wiring's) imports a hook's feature when it is first looked up
        self.resolution_hooks: Mapping[str, ResolutionHook] = (
            resolution_hooks if resolution_hooks is not None else {}
        )
        self.memo = memo or Memo()
        self._retry = retry or ledger_settings().retry
        self._sleep = sleep
        self._rng = rng or random.Random()

    # ------------------------------------------------------------------ writes
    def transfer(self, request: EntryRequest) -> EntryResult:
        """Write ``request`` atomically, exactly once per idempotency key."""
        return self._commit(request, list(request.legs), state="posted", pending=None, expiry=None)

    def hold(
        self,
        request: EntryRequest,
        *,
        expiry: Expiry | None = None,
        on_timeout: Literal["void", "post"] = "void",
    ) -> EntryResult:
        """Phase one of a two-phase entry: park each leg's amount in ``system/hold/<asset>``.

        :meth:`resolve` later moves it on to the leg's credit account (post) or back (void), once.
        """
        eid = request.entry_id
        parked: list[Leg] = []
        hold_shards: dict[str, int] = {}
        for leg in request.legs:
            hold = hold_account(leg.debit.asset)
            shard = shard_for(eid, hold, hold.policy.shards)
            hold_shards[leg.debit.asset] = shard
            parked.append(Leg(leg.debit, hold, leg.amount, debit_shard=leg.debit_shard, credit_shard=shard))
        pending = {
            "legs": [
                {"debit": str(leg.debit), "credit": str(leg.credit), "amount": leg.amount}
                for leg in request.legs
            ],
            "hold_shards": hold_shards,
            "on_timeout": on_timeout,
        }
        return self._commit(request, parked, state="pending", pending=pending, expiry=expiry)

    def resolve(
        self,
        entry_id: str,
        action: Literal["post", "void"],
        *,
        actor: str = "system",
        note: str = "",
        reversal: bool = False,
    ) -> EntryResult:
        """Phase two: post or void a pending entry. Exactly once: a repeat of the same action replays,
        the other action afterwards raises :class:`AlreadyResolved`. ``reversal`` (an operator's reversal
        of a pending entry) also links the header to its resolution as ``reversed_by``, in the same write."""
        header = self.entry(entry_id)
        if header is None or header.pending is None:
            raise NotFound(f"no two-phase entry {entry_id}")
        legs: list[Leg] = []
        for spec in header.pending["legs"]:
            debit, credit = Account.parse(spec["debit"]), Account.parse(spec["credit"])
            hold = hold_account(debit.asset)
            shard = int(header.pending["hold_shards"][debit.asset])
            target = credit if action == "post" else debit
            legs.append(Leg(hold, target, int(spec["amount"]), debit_shard=shard))
        new_state = "posted" if action == "post" else "voided"
        pending_item = EntryItem(pk=entry_key(entry_id), sk="ENTRY")
        actions = [
            EntryItem.state.set(new_state),
            EntryItem.resolved_by.set(f"{action}:{actor}"),
            EntryItem.exp_bucket.remove(),
            EntryItem.expires_at.remove(),
            EntryItem.exp_kind.remove(),
        ]
        if reversal:
            actions.append(EntryItem.reversed_by.set(resolution_id(entry_id)))
        guard = Guard.update(
            pending_item,
            actions,
            EntryItem.state == "pending",
            lambda old: AlreadyResolved(
                f"entry {entry_id} is already {(old or {}).get('state', {}).get('S', 'resolved')}"
            ),
        )
        extra = self.resolution_hooks.get(str(header.kind))
        request = EntryRequest(
            idempotency=IdempotencyKey("resolve", entry_id, {"action": action}),
            kind=f"{header.kind}.{action}",
            legs=legs,
            guards=[guard, *(extra(header, action) if extra else ())],
            metadata={"pending_entry": entry_id, "actor": actor, "note": note},
            response={"entry_id": entry_id, "state": new_state},
        )
        try:
            return self.transfer(request)
        except IdempotencyConflict as exc:
            raise AlreadyResolved(f"entry {entry_id} was already resolved the other way") from exc

    def time_out(self, entry_id: str) -> EntryResult:
        """Enforce a pending entry's timeout: apply its ``on_timeout`` action (idempotent, sweep-safe)."""
        header = self.entry(entry_id)
        if header is None or header.pending is None:
            raise NotFound(f"no two-phase entry {entry_id}")
        action: Literal["post", "void"] = "post" if header.pending.get("on_timeout") == "post" else "void"
        return self.resolve(entry_id, action, actor="timeout")

    # ------------------------------------------------------------------ reads
    def entry(self, entry_id: str) -> EntryItem | None:
        try:
            return EntryItem.get(entry_key(entry_id), "ENTRY", consistent_read=True)
        except DoesNotExist:
            return None

    def balances(self, accounts: Sequence[Account]) -> dict[Account, int]:
        """Balances of ``accounts`` (a sharded account is the sum of its shards), one BatchGetItem."""
        totals = dict.fromkeys(accounts, 0)
        keys = [(balance_key(a, s), "BAL") for a in accounts for s in range(a.policy.shards)]
        by_key = {balance_key(a, s): a for a in accounts for s in range(a.policy.shards)}
        for item in BalanceItem.batch_get(keys):
            totals[by_key[item.pk]] += int(item.balance)
        return totals

    def balance(self, account: Account) -> int:
        return self.balances([account])[account]

    def shard_balances(self, account: Account) -> list[int]:
        keys = [(balance_key(account, s), "BAL") for s in range(account.policy.shards)]
        found = {int(item.shard or 0): int(item.balance) for item in BalanceItem.batch_get(keys)}
        return [found.get(s, 0) for s in range(account.policy.shards)]

    # ------------------------------------------------------------------ internals
    def _commit(
        self,
        request: EntryRequest,
        legs: list[Leg],
        *,
        state: str,
        pending: dict[str, Any] | None,
        expiry: Expiry | None,
    ) -> EntryResult:
        created_at = clock.iso(self._now())
        netted = net_postings(legs)
        attempt = _Attempt()
        while True:
            plan = self._plan(request.entry_id, netted, attempt)
            items = self._items(request, plan, created_at, state, pending, expiry)
            try:
                self._send(items)
            except TransactWriteError as exc:
                result = self._on_failure(exc, request, items, attempt)
                if result is not None:
                    return result
                continue
            count_entry(request.kind, _budget_spent(netted))
            return EntryResult(request.entry_id, False, request.response, request.status_code, created_at)

    def _plan(
        self, entry_id: str, netted: Mapping[tuple[Account, int | None], int], attempt: _Attempt
    ) -> list[PlannedPosting]:
        plan: list[PlannedPosting] = []
        for (account, pinned), delta in netted.items():
            shards = account.policy.shards
            if pinned is not None:
                plan.append(PlannedPosting(account, pinned, delta, pinned=True))
            elif account in attempt.splits:
                plan.extend(
                    PlannedPosting(account, s, -amount, True) for s, amount in attempt.splits[account]
                )
            else:
                shard = (shard_for(entry_id, account, shards) + attempt.rotations.get(account, 0)) % shards
                plan.append(PlannedPosting(account, shard, delta, pinned=False))
        return plan

    def _items(
        self,
        request: EntryRequest,
        plan: list[PlannedPosting],
        created_at: str,
        state: str,
        pending: dict[str, Any] | None,
        expiry: Expiry | None,
    ) -> list[_TxItem]:
        eid = request.entry_id
        idem = request.idempotency
        history = [p for p in plan if p.account.policy.history]
        # the header carries one history row itself: a user's (unsharded) account first, as before
        history.sort(key=lambda p: p.account.policy.shards > 1)
        header = EntryItem(
            pk=entry_key(eid),
            sk="ENTRY",
            entry_id=eid,
            kind=request.kind,
            scope=idem.scope,
            idem_key=idem.key,
            request_hash=idem.request_hash,
            created_at=created_at,
            postings=[PostingMap(account=str(p.account), shard=p.shard, delta=p.delta) for p in plan],
            metadata=dict(request.metadata) or None,
            response=dict(request.response) if request.response is not None else None,
            status_code=request.status_code,
            state=state,
            pending=pending,
        )
        if history:
            first = history[0]
            header.hist_pk, header.hist_sk, header.hist_delta = (
                history_partition(first.account, first.shard),
                f"{created_at}#{eid}",
                first.delta,
            )
        if expiry is not None:
            header.exp_bucket, header.expires_at, header.exp_kind = expiry.bucket, expiry.at, expiry.kind
        items = [
            _TxItem(
                "Put",
                header.get_save_kwargs_from_instance(
                    condition=EntryItem.pk.does_not_exist(), return_values_on_condition_failure="ALL_OLD"
                ),
                "header",
            )
        ]
        for posting in history[1:]:
            partition = history_partition(posting.account, posting.shard)
            row = HistoryRow(
                pk=entry_key(eid),
                sk=f"HIST#{partition}",
                entry_id=eid,
                kind=request.kind,
                created_at=created_at,
                hist_pk=partition,
                hist_sk=f"{created_at}#{eid}",
                hist_delta=posting.delta,
            )
            items.append(_TxItem("Put", row.get_save_kwargs_from_instance(), "history"))
        for posting in plan:
            items.append(
                _TxItem("Update", self._balance_update(posting, created_at), "balance", posting=posting)
            )
        items.extend(_TxItem(g.op, dict(g.kwargs), "guard", guard=g) for g in request.guards)
        assert len(items) <= 1 + ITEMS_PER_POSTING * len(plan) + len(request.guards)
        if len(items) > MAX_TRANSACTION_ITEMS:
            raise ValueError(f"entry {eid} needs {len(items)} items, over DynamoDB's {MAX_TRANSACTION_ITEMS}")
        items.sort(key=lambda item: _OP_ORDER[item.op])  # the order PynamoDB sends them in
        return items

    @staticmethod
    def _balance_update(posting: PlannedPosting, created_at: str) -> dict[str, Any]:
        account = posting.account
        item = BalanceItem(pk=balance_key(account, posting.shard), sk="BAL")
        condition = None
        if posting.delta < 0 and not account.policy.may_go_negative:
            condition = BalanceItem.balance >= -posting.delta
        return item.get_update_kwargs_from_instance(
            actions=[
                BalanceItem.balance.add(posting.delta),
                BalanceItem.account.set(str(account)),
                BalanceItem.asset.set(account.asset),
                BalanceItem.shard.set(posting.shard),
                BalanceItem.updated_at.set(created_at),
            ],
            condition=condition,
            return_values_on_condition_failure="ALL_OLD",
            add_version_condition=False,
        )

    @staticmethod
    def _send(items: list[_TxItem]) -> None:
        def of(op: GuardOp) -> list[dict[str, Any]]:
            return [item.kwargs for item in items if item.op == op]

        EntryItem._get_connection().connection.transact_write_items(
            condition_check_items=of("ConditionCheck"),
            delete_items=of("Delete"),
            put_items=of("Put"),
            update_items=of("Update"),
        )

    def _on_failure(
        self, exc: TransactWriteError, request: EntryRequest, items: list[_TxItem], attempt: _Attempt
    ) -> EntryResult | None:
        """Map a cancelled transaction to a replay, a domain error, or ``None`` to try again."""
        code = response_code(exc)
        if code != "TransactionCanceledException":
            if code in RETRYABLE_ERRORS or _lost_on_the_wire(exc):
                self._backoff(attempt, request)
                return None
            raise exc
        reasons = list(exc.cancellation_reasons)
        failed = [
            (item, reason)
            for item, reason in zip(items, reasons, strict=False)
            if reason is not None and reason.code == "ConditionalCheckFailed"
        ]
        for item, reason in failed:
            if item.role == "header":
                return self._duplicate(request, reason.raw_item)
        for item, reason in failed:
            if item.role == "guard" and item.guard is not None:
                raise item.guard.on_fail(reason.raw_item)
        dry: list[PlannedPosting] = [item.posting for item, _ in failed if item.posting is not None]
        for posting in dry:
            if posting.pinned or posting.account.policy.shards == 1:
                raise InsufficientFunds(
                    f"{posting.account} cannot cover {-posting.delta}", account=str(posting.account)
                )
        if dry:
            for posting in dry:
                self._next_shard(posting, attempt)
            return None
        if any(r is not None and r.code in ("TransactionConflict", *RETRYABLE_ERRORS) for r in reasons):
            self._backoff(attempt, request)
            return None
        raise exc

    def _next_shard(self, posting: PlannedPosting, attempt: _Attempt) -> None:
        """A shard of a hot account ran dry: try the next shard, then split across all shards."""
        account = posting.account
        rotation = attempt.rotations.get(account, 0) + 1
        attempt.rotations[account] = rotation
        if rotation < account.policy.shards:
            return
        needed = -posting.delta
        shards = sorted(enumerate(self.shard_balances(account)), key=lambda kv: -kv[1])
        if sum(b for _, b in shards) < needed or attempt.retries >= self._retry.max_attempts:
            raise InsufficientFunds(f"{account} cannot cover {needed}", account=str(account))
        split: list[tuple[int, int]] = []
        for shard, available in shards:
            take = min(available, needed)
            if take > 0:
                split.append((shard, take))
                needed -= take
            if needed == 0:
                break
        attempt.splits[account] = split
        attempt.retries += 1

    def _duplicate(self, request: EntryRequest, raw_item: Mapping[str, Any] | None) -> EntryResult:
        first = EntryItem.from_raw_data(dict(raw_item)) if raw_item else self.entry(request.entry_id)
        if first is None:  # pragma: no cover - DynamoDB always returns ALL_OLD for a failed put condition
            raise LedgerError(f"entry {request.entry_id} reported as existing but not found")
        if first.request_hash != request.idempotency.request_hash:
            raise IdempotencyConflict(
                "this Idempotency-Key was already used with a different request", entry_id=request.entry_id
            )
        return EntryResult(
            first.entry_id,
            True,
            first.response,
            int(first.status_code or 201),
            first.created_at,
        )

    def _backoff(self, attempt: _Attempt, request: EntryRequest) -> None:
        attempt.retries += 1
        if attempt.retries >= self._retry.max_attempts:
            raise RetriesExhausted(
                f"entry {request.entry_id} gave up after {attempt.retries} contended attempts",
                entry_id=request.entry_id,
            )
        cap = min(self._retry.max_delay_ms, self._retry.base_delay_ms * 2**attempt.retries)
        self._sleep(self._rng.uniform(0, cap) / 1000.0)


def _budget_spent(netted: Mapping[tuple[Account, int | None], int]) -> dict[str, int]:
    """Campaign id -> minor units this entry takes out of its budget (the dashboard's budget burn)."""
    spent: dict[str, int] = {}
    for (account, _shard), delta in netted.items():
        if delta < 0 and account.book == "budget" and account.owner.startswith("campaign:"):
            campaign = account.owner.removeprefix("campaign:")
            spent[campaign] = spent.get(campaign, 0) - delta
    return spent


def response_code(exc: PynamoDBException) -> str | None:
    """DynamoDB's error code, or ``None`` when no answer came back (PynamoDB's property raises then)."""
    response = getattr(exc.cause, "response", None)
    if not isinstance(response, dict):
        return None
    return cast(str | None, response.get("Error", {}).get("Code"))


def _lost_on_the_wire(exc: TransactWriteError) -> bool:
    """No answer after botocore's own retries (reset, timeout, closed connection).

    The transaction may or may not have committed; trying again is safe because the entry header makes
    a committed first try come back as a replay, never as a second movement.
    """
    return isinstance(exc.cause, BotoCoreError)

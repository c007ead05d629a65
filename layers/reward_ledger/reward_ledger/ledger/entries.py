"""What a caller asks the ledger to do: legs, an idempotency key, guards and the response to remember."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.models import Model

from reward_ledger.errors import LedgerError
from reward_ledger.ledger.accounts import Account


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8")).digest()


@dataclass(frozen=True, slots=True)
class IdempotencyKey:
    """Who asked (``scope``: user and route, or event type), their key, and what they asked (``payload``).

    The entry id is derived from scope and key, so a retry finds the same journal item without a read,
    and the request hash tells a faithful replay from a different request under a used key.
    """

    scope: str
    key: str
    payload: Mapping[str, Any] = field(default_factory=dict)

    @property
    def entry_id(self) -> str:
        raw = base64.b32encode(_digest(f"{self.scope}\x1f{self.key}")).decode("ascii")
        return "e" + raw[:25].lower()

    @property
    def request_hash(self) -> str:
        return hashlib.sha256(canonical_json(self.payload).encode("utf-8")).hexdigest()

    def derive(self, suffix: str, payload: Mapping[str, Any] | None = None) -> IdempotencyKey:
        """A key for a follow-up entry of the same request (for example the second step of a flow)."""
        return IdempotencyKey(
            self.scope, f"{self.key}#{suffix}", self.payload if payload is None else payload
        )


@dataclass(frozen=True, slots=True)
class Leg:
    """Move ``amount`` (integer minor units) out of ``debit`` into ``credit``; both of one asset.

    ``debit_shard``/``credit_shard`` pin a shard of a sharded account (two-phase completion uses it to
    release exactly the shard it parked funds in); otherwise the ledger picks one.
    """

    debit: Account
    credit: Account
    amount: int
    debit_shard: int | None = None
    credit_shard: int | None = None

    def __post_init__(self) -> None:
        if type(self.amount) is not int:  # bool and float are refused: money is integer minor units
            raise ValueError(f"amount must be an integer of minor units, got {self.amount!r}")
        if self.amount <= 0:
            raise ValueError(f"amount must be positive, got {self.amount}")
        if self.debit.asset != self.credit.asset:
            raise ValueError(f"leg mixes assets {self.debit.asset} and {self.credit.asset}")
        if self.debit == self.credit:
            raise ValueError(f"leg moves {self.debit} to itself")


PostingKey = tuple[Account, int | None]


def net_postings(legs: Sequence[Leg]) -> dict[PostingKey, int]:
    """Net legs per (account, pinned shard): DynamoDB allows one action per item in a transaction.

    Zero nets are dropped. Because every leg is balanced, each asset's deltas still sum to zero.
    """
    deltas: dict[PostingKey, int] = {}
    for leg in legs:
        deltas[(leg.debit, leg.debit_shard)] = deltas.get((leg.debit, leg.debit_shard), 0) - leg.amount
        deltas[(leg.credit, leg.credit_shard)] = deltas.get((leg.credit, leg.credit_shard), 0) + leg.amount
    return {key: delta for key, delta in sorted(deltas.items(), key=lambda kv: str(kv[0])) if delta}


OnFail = Callable[[Mapping[str, Any] | None], LedgerError]
GuardOp = Literal["ConditionCheck", "Delete", "Put", "Update"]


def unconditional(_old: Mapping[str, Any] | None) -> LedgerError:  # pragma: no cover - never called
    """``on_fail`` of a guard written without a condition: only a condition can fail, so the ledger never
    calls it. Naming it says the guard is unconditional on purpose."""
    return LedgerError("a guard without a condition cannot fail")


@dataclass(frozen=True, slots=True)
class Guard:
    """An extra item written in the entry's transaction: cap counter, stock, session, progress...

    If its condition fails, ``on_fail`` turns the item's old image (``ALL_OLD``) into the domain error.
    Build guards with the constructors so the operation is serialised by PynamoDB from a model.
    """

    op: GuardOp
    kwargs: Mapping[str, Any]
    on_fail: OnFail

    @classmethod
    def update(
        cls, item: Model, actions: Sequence[Action], condition: Condition | None, on_fail: OnFail
    ) -> Guard:
        kwargs = item.get_update_kwargs_from_instance(
            actions=list(actions),
            condition=condition,
            return_values_on_condition_failure="ALL_OLD",
            add_version_condition=False,
        )
        return cls("Update", kwargs, on_fail)

    @classmethod
    def put(cls, item: Model, condition: Condition | None, on_fail: OnFail) -> Guard:
        kwargs = item.get_save_kwargs_from_instance(
            condition=condition, return_values_on_condition_failure="ALL_OLD"
        )
        return cls("Put", kwargs, on_fail)

    @classmethod
    def delete(cls, item: Model, condition: Condition | None, on_fail: OnFail) -> Guard:
        kwargs = item.get_delete_kwargs_from_instance(
            condition=condition, return_values_on_condition_failure="ALL_OLD", add_version_condition=False
        )
        return cls("Delete", kwargs, on_fail)

    @classmethod
    def check(
        cls, model: type[Model], hash_key: str, range_key: str | None, condition: Condition, on_fail: OnFail
    ) -> Guard:
        kwargs = model.get_operation_kwargs_from_class(hash_key, range_key=range_key, condition=condition)
        return cls("ConditionCheck", kwargs, on_fail)


@dataclass(frozen=True, slots=True)
class Expiry:
    """Where an item sits in the expiry index: ``bucket`` (day#shard), ISO ``at`` and the expirer ``kind``."""

    bucket: str
    at: str
    kind: str = "hold"


@dataclass(frozen=True, slots=True)
class EntryRequest:
    """One atomic, idempotent movement. ``response`` is what a replay of the same request returns."""

    idempotency: IdempotencyKey
    kind: str
    legs: Sequence[Leg] = ()
    guards: Sequence[Guard] = ()
    metadata: Mapping[str, Any] = field(default_factory=dict)
    response: Mapping[str, Any] | None = None
    status_code: int = 201

    @property
    def entry_id(self) -> str:
        return self.idempotency.entry_id


@dataclass(frozen=True, slots=True)
class EntryResult:
    """What the caller gets back: the first result, and whether this call was a replay of it."""

    entry_id: str
    replayed: bool
    response: Mapping[str, Any] | None
    status_code: int
    created_at: str

"""Operators' reversal of an entry: the opposite postings as a new entry, through ``Ledger.transfer``.

* The reversal mirrors the entry's netted postings shard by shard (every shard gets back exactly what
  the entry moved), so a reversal can never move more or other money than the entry did. Its balance
  conditions are the ledger's own: a reversal that would take an account below zero is refused with
  ``insufficient-funds`` and writes nothing.
* Once per entry: the reversal's id is derived from the entry's id, and the same transaction sets the
  entry's ``reversed_by`` under the condition that it is posted and not yet reversed. The same operator
  and reason again replay the first answer; another reason or operator is a 409 ``already-done``.
* A pending (two-phase) entry is voided through ``Ledger.resolve`` instead, so the feature's
  ``on_resolve`` hooks run as for any void.
* Feature state that followed the entry is the kind's hook's business: ``hooks[kind](entry)`` returns the
  guards that undo it in the same transaction (or refuse). A kind without a hook is ``not-reversible``:
  nothing is reversed that the wiring did not declare reversible.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from reward_ledger.errors import AlreadyDone, IdempotencyConflict, NotFound, NotReversible
from reward_ledger.ledger.accounts import Account
from reward_ledger.ledger.core import Ledger, entry_key
from reward_ledger.ledger.entries import EntryRequest, EntryResult, Guard, IdempotencyKey, Leg
from reward_ledger.ledger.models import EntryItem

ReversalHook = Callable[[EntryItem], Sequence[Guard]]
REVERSAL_SCOPE = "reversal"
MAX_REASON = 500


def no_feature_state(_entry: EntryItem) -> Sequence[Guard]:
    """Hook of a kind whose entries leave nothing but balances behind: the postings are all to undo."""
    return ()


def reversal_id(entry_id: str) -> str:
    return IdempotencyKey(REVERSAL_SCOPE, entry_id).entry_id


def opposite_legs(entry: EntryItem) -> list[Leg]:
    """Legs whose netting is exactly the entry's postings negated, each shard pinned to the entry's."""
    by_asset: dict[str, tuple[list[list[Any]], list[list[Any]]]] = {}
    for posting in entry.postings:
        account, shard, delta = Account.parse(str(posting.account)), int(posting.shard), int(posting.delta)
        debits, credits = by_asset.setdefault(account.asset, ([], []))
        # the entry credited (delta > 0): the reversal debits it back, and the other way round
        (debits if delta > 0 else credits).append([account, shard, abs(delta)])
    legs: list[Leg] = []
    for debits, credits in by_asset.values():
        assert sum(d[2] for d in debits) == sum(c[2] for c in credits), "an entry's asset nets to zero"
        while debits and credits:
            debit, credit = debits[-1], credits[-1]
            amount = min(debit[2], credit[2])
            legs.append(Leg(debit[0], credit[0], amount, debit_shard=debit[1], credit_shard=credit[1]))
            debit[2] -= amount
            credit[2] -= amount
            if debit[2] == 0:
                debits.pop()
            if credit[2] == 0:
                credits.pop()
    return legs


def _already_reversed(entry_id: str) -> Callable[[Mapping[str, Any] | None], AlreadyDone]:
    def on_fail(old: Mapping[str, Any] | None) -> AlreadyDone:
        by = ((old or {}).get("reversed_by") or {}).get("S")
        state = ((old or {}).get("state") or {}).get("S", "gone")
        if by:
            return AlreadyDone(f"entry {entry_id} was already reversed by {by}")
        return AlreadyDone(f"entry {entry_id} is {state}, not posted")

    return on_fail


def reverse(
    ledger: Ledger,
    entry_id: str,
    *,
    operator: str,
    reason: str,
    hooks: Mapping[str, ReversalHook],
    refused: Mapping[str, str] | None = None,
) -> EntryResult:
    """Reverse (or, when pending, void) ``entry_id`` once, recording ``operator`` and ``reason``.

    ``refused`` maps kinds refused on purpose to the reason the 422 gives."""
    entry = ledger.entry(entry_id)
    if entry is None:
        raise NotFound(f"no entry {entry_id}")
    if entry.pending is not None:
        return _void(ledger, entry, operator=operator, reason=reason)
    hook = hooks.get(str(entry.kind))
    if hook is None:
        why = (refused or {}).get(str(entry.kind), "no reversal is declared for it (see docs/ledger.md)")
        raise NotReversible(f"entries of kind {entry.kind} are not reversible: {why}")
    rid = reversal_id(entry_id)
    request = EntryRequest(
        idempotency=IdempotencyKey(REVERSAL_SCOPE, entry_id, {"operator": operator, "reason": reason}),
        kind=f"{entry.kind}.reversal",
        legs=opposite_legs(entry),
        guards=[
            Guard.update(
                EntryItem(pk=entry_key(entry_id), sk="ENTRY"),
                [EntryItem.reversed_by.set(rid)],
                (EntryItem.state == "posted") & EntryItem.reversed_by.does_not_exist(),
                _already_reversed(entry_id),
            ),
            *hook(entry),
        ],
        metadata={"reverses": entry_id, "reversed_kind": entry.kind, "operator": operator, "reason": reason},
        response={"reversal_id": rid, "entry_id": entry_id},
    )
    try:
        return ledger.transfer(request)
    except IdempotencyConflict as exc:
        raise AlreadyDone(f"entry {entry_id} was already reversed by {rid}") from exc


def _void(ledger: Ledger, entry: EntryItem, *, operator: str, reason: str) -> EntryResult:
    """A pending entry is voided (its hold goes back); a resolved one was settled already."""
    entry_id = str(entry.entry_id)
    if entry.state == "pending" or entry.reversed_by:
        result = ledger.resolve(entry_id, "void", actor=f"operator:{operator}", note=reason, reversal=True)
        response = {"reversal_id": result.entry_id, "entry_id": entry_id, "state": "voided"}
        return EntryResult(result.entry_id, result.replayed, response, 201, result.created_at)
    if entry.state == "voided":
        raise AlreadyDone(f"entry {entry_id} was already voided ({entry.resolved_by})")
    raise NotReversible(
        f"two-phase entry {entry_id} was already posted ({entry.resolved_by}): its money moved on"
    )

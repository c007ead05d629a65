"""Egg donations to pooled charity projects, advancing the chicken's FIFO cursor in the same write."""

from __future__ import annotations

from reward_ledger import charity
from reward_ledger.errors import InsufficientFunds
from reward_ledger.farm.items import Chicken, eggs_account, partition
from reward_ledger.farm.laying import settle
from reward_ledger.ledger import EntryRequest, EntryResult, Guard, IdempotencyKey, Ledger, Leg, unconditional


def donate(ledger: Ledger, user_id: str, project_id: str, eggs: int, idem: IdempotencyKey) -> EntryResult:
    """Donate eggs to a pooled EGG project; never past its target.

    The entry and the target guard are charity's (``charity.donation_guard``), plus the chicken's FIFO
    cursor (``eggs_out``) advanced in the same transaction, which egg expiry relies on.

    Optimistic: the eggs already credited usually cover the gift, so the transaction goes first (one
    DynamoDB call). Only when it is refused for want of eggs is a finished, uncounted meal settled (which
    may credit eggs) and the same request tried once more, which is refused in turn if still short; a
    refused transaction wrote nothing, so the second try is still the key's first use.
    """
    project = charity.require_project(project_id, "EGG")
    guard = charity.donation_guard(project, eggs)
    cursor = Guard.update(
        Chicken(pk=partition(user_id), sk="CHICKEN"),
        [Chicken.eggs_out.add(eggs)],
        None,
        unconditional,
    )
    request = EntryRequest(
        idempotency=idem,
        kind="charity.donation.egg",
        legs=[Leg(eggs_account(user_id), charity.pool_account(project), eggs)],
        guards=[guard, cursor],
        metadata={"project_id": project_id, "user_id": user_id},
        response={"entry_id": idem.entry_id},
    )
    try:
        return ledger.transfer(request)
    except InsufficientFunds:
        settle(ledger, user_id)  # a finished meal may lay the missing eggs; if not, this try refuses too
    return ledger.transfer(request)

"""Merchants: created by operators, funded from outside (``merchant.funded``), viewed by their staff."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from reward_ledger import clock
from reward_ledger.campaigns import accounts
from reward_ledger.campaigns.models import CampaignItem, CampaignListing, MerchantItem
from reward_ledger.campaigns.replies import MerchantView
from reward_ledger.campaigns.spec import ID_PATTERN
from reward_ledger.errors import AlreadyDone, NotFound
from reward_ledger.ledger import EntryRequest, EntryResult, Guard, IdempotencyKey, Ledger, Leg

MAX_FUNDING = 10**12


def merchant_key(merchant_id: str) -> str:
    return f"MERCHANT#{merchant_id}"


def create_merchant(
    ledger: Ledger, merchant_id: str, name: str, actor: str, idem: IdempotencyKey
) -> EntryResult:
    """Register a merchant once: an entry without legs whose guard puts the merchant item (a retry
    replays; the same id under another key is 409 ``already-done``)."""
    item = MerchantItem(
        pk=merchant_key(merchant_id),
        merchant_id=merchant_id,
        name=name,
        created_at=clock.iso(clock.now()),
        created_by=actor,
    )
    guard = Guard.put(
        item,
        MerchantItem.pk.does_not_exist(),
        lambda old: AlreadyDone(f"merchant {merchant_id!r} already exists"),
    )
    return ledger.transfer(
        EntryRequest(
            idempotency=idem,
            kind="merchant.created",
            guards=[guard],
            metadata={"merchant_id": merchant_id, "actor": actor},
            response={"merchant_id": merchant_id, "name": name},
        )
    )


def merchant_exists_guard(merchant_id: str) -> Guard:
    return Guard.check(
        MerchantItem,
        merchant_key(merchant_id),
        "MERCHANT",
        MerchantItem.pk.exists(),
        lambda old: NotFound(f"no merchant {merchant_id!r}"),
    )


class MerchantFunded(BaseModel):
    """``merchant.funded`` detail (source ``payments``): money the merchant paid in for its campaigns."""

    model_config = ConfigDict(extra="ignore")

    funding_id: str = Field(min_length=1, max_length=128)
    merchant_id: str = Field(pattern=ID_PATTERN)
    amount: StrictInt = Field(gt=0, le=MAX_FUNDING)


def fund_merchant(ledger: Ledger, event: MerchantFunded) -> EntryResult:
    """external funding -> ``merchant:<m>/prepaid/CNY``, once per ``funding_id``.

    An unknown merchant makes the event fail (and land in the DLQ): money is never parked on an account
    nobody owns.
    """
    idem = IdempotencyKey("event:merchant.funded", event.funding_id, event.model_dump())
    return ledger.transfer(
        EntryRequest(
            idempotency=idem,
            kind="merchant.funded",
            legs=[Leg(accounts.FUNDING, accounts.prepaid(event.merchant_id), event.amount)],
            guards=[merchant_exists_guard(event.merchant_id)],
            metadata={"funding_id": event.funding_id, "merchant_id": event.merchant_id},
            response={"entry_id": idem.entry_id, "amount": event.amount},
        )
    )


def get_merchant(merchant_id: str) -> MerchantItem:
    try:
        return MerchantItem.get(merchant_key(merchant_id), "MERCHANT")
    except MerchantItem.DoesNotExist as exc:
        raise NotFound(f"no merchant {merchant_id!r}") from exc


def merchant_view(ledger: Ledger, merchant_id: str) -> MerchantView:
    """The merchant, its prepaid balance and its campaigns with their remaining budgets."""
    merchant = get_merchant(merchant_id)
    ids = [
        row.campaign_id
        for row in CampaignListing.query(
            merchant_key(merchant_id), CampaignListing.sk.startswith("CAMPAIGN#")
        )
    ]
    items = {c.campaign_id: c for c in CampaignItem.batch_get([(f"CAMPAIGN#{c}", "CAMPAIGN") for c in ids])}
    wanted = [accounts.prepaid(merchant_id), accounts.settled(merchant_id), accounts.reserved(merchant_id)]
    wanted += [accounts.budget(c) for c in ids]
    balances = ledger.balances(wanted)
    return MerchantView.model_validate(
        {
            "merchant_id": merchant_id,
            "name": merchant.name,
            "prepaid": balances[accounts.prepaid(merchant_id)],
            "settled": balances[accounts.settled(merchant_id)],
            "reserved": balances[accounts.reserved(merchant_id)],
            "campaigns": [
                {
                    "campaign_id": c,
                    "status": items[c].status if c in items else "draft",
                    "budget_remaining": balances[accounts.budget(c)],
                }
                for c in ids
            ],
        }
    )

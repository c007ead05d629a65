"""The campaigns every environment starts with (``data/campaigns.toml``), loaded idempotently.

Seeding goes through the same steps as the API (create the merchant, create the campaign, activate it),
each keyed by a fixed idempotency key in the ``seed`` scope, so a second run replays every step and
changes nothing; a spec changed in the file becomes a new version (keyed by its hash). An activation
that prepaid cannot cover leaves the campaign a draft (reported, not an error): in AWS a merchant's
money arrives by ``merchant.funded``, never from a seed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from pydantic import Field, PositiveInt

from reward_ledger.campaigns import lifecycle, merchants
from reward_ledger.campaigns.spec import ID_PATTERN, CampaignSpec
from reward_ledger.config import StrictModel, load_model
from reward_ledger.errors import AlreadyDone, IdempotencyConflict, InsufficientFunds
from reward_ledger.ledger import IdempotencyKey, Ledger

ACTOR = "seed"
SCOPE = "seed:campaigns"


class SeedMerchant(StrictModel):
    merchant_id: str = Field(pattern=ID_PATTERN)
    name: str = Field(min_length=1, max_length=120)


class SeedCampaign(StrictModel):
    merchant_id: str = Field(pattern=ID_PATTERN)
    budget: PositiveInt
    spec: CampaignSpec


class CampaignSeeds(StrictModel):
    merchants: list[SeedMerchant] = Field(default_factory=list)
    campaigns: list[SeedCampaign] = Field(default_factory=list)


def seeds() -> CampaignSeeds:
    loaded = load_model("campaigns", CampaignSeeds)
    known = {m.merchant_id for m in loaded.merchants}
    assert all(c.merchant_id in known for c in loaded.campaigns), (
        "a seeded campaign names an unseeded merchant"
    )
    return loaded


def _key(*parts: str, payload: Mapping[str, Any]) -> IdempotencyKey:
    return IdempotencyKey(SCOPE, ":".join(parts), payload)


def seed_campaigns(ledger: Ledger, *, fund: bool = False) -> list[str]:
    """Create the seeded merchants and campaigns and activate them; ``fund`` (local stack, tests) first
    funds each merchant's prepaid with its campaigns' budgets, from ``external:funding``. Returns what
    each campaign ended up as."""
    data = seeds()
    report: list[str] = []
    for merchant in data.merchants:
        idem = _key(merchant.merchant_id, payload=merchant.model_dump())
        merchants.create_merchant(ledger, merchant.merchant_id, merchant.name, ACTOR, idem)
        if fund:
            total = sum(c.budget for c in data.campaigns if c.merchant_id == merchant.merchant_id)
            event = merchants.MerchantFunded(
                funding_id=f"seed:{merchant.merchant_id}:{total}",
                merchant_id=merchant.merchant_id,
                amount=total,
            )
            merchants.fund_merchant(ledger, event)
    for seeded in data.campaigns:
        report.append(_seed_one(ledger, seeded))
    return report


def _seed_one(ledger: Ledger, seeded: SeedCampaign) -> str:
    spec, merchant = seeded.spec, seeded.merchant_id
    cid, body = spec.campaign_id, spec.model_dump(mode="json")
    try:
        lifecycle.create_campaign(ledger, merchant, spec, ACTOR, _key(cid, payload=body))
    except IdempotencyConflict:  # the file changed since the first seed: the new spec is a new version
        digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:16]
        try:
            lifecycle.new_version(ledger, merchant, spec, ACTOR, _key(cid, digest, payload=body))
        except AlreadyDone:
            return f"campaign {cid}: ended, left as it is"
    activation = {"merchant_id": merchant, "budget": seeded.budget}
    try:
        lifecycle.activate(
            ledger, merchant, cid, seeded.budget, ACTOR, _key(cid, "activate", payload=activation)
        )
    except InsufficientFunds:
        return f"campaign {cid}: draft (prepaid does not cover its budget of {seeded.budget} fen)"
    except AlreadyDone:
        pass  # activated before (then paused or ended by its merchant): the seed does not overrule them
    return f"campaign {cid}: {lifecycle.load(merchant, cid).status}"

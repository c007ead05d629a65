"""A campaign's life: created (draft, version 1), edited (a new version each time), activated with a
budget moved from the merchant's prepaid money, paused, and ended once (the unspent budget goes back).

Every step is one ledger entry (an entry without legs when no money moves) whose guards change the
campaign item, so a retry replays and racing steps cannot both win: each step's guard names the status
(and version) it read.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reward_ledger import clock, points
from reward_ledger.campaigns import accounts
from reward_ledger.campaigns.merchants import merchant_exists_guard, merchant_key
from reward_ledger.campaigns.models import (
    ACTIVE_PK,
    ActiveCampaign,
    CampaignItem,
    CampaignListing,
    CampaignVersion,
)
from reward_ledger.campaigns.replies import CampaignView, PublicCampaign, PublicCampaigns
from reward_ledger.campaigns.spec import CampaignSpec, PointsEffect
from reward_ledger.errors import (
    AlreadyDone,
    EffectUnavailable,
    InsufficientFunds,
    LedgerError,
    NotFound,
    RetriesExhausted,
    ValidationFailed,
)
from reward_ledger.ledger import EntryRequest, EntryResult, Guard, IdempotencyKey, Ledger, Leg

#: how often a step that raced an award or a coupon expiry re-reads and tries again
MAX_STEP_ATTEMPTS = 4


class _Stale(RetriesExhausted):
    """What a step read changed before it wrote: the step reads again (503 contention if it keeps on)."""


def campaign_key(campaign_id: str) -> str:
    return f"CAMPAIGN#{campaign_id}"


def load(merchant_id: str, campaign_id: str) -> CampaignItem:
    """The campaign, read strongly consistent; 404 when it is missing or belongs to another merchant."""
    try:
        item = CampaignItem.get(campaign_key(campaign_id), "CAMPAIGN", consistent_read=True)
    except CampaignItem.DoesNotExist as exc:
        raise NotFound(f"no campaign {campaign_id!r} at merchant {merchant_id!r}") from exc
    if item.merchant_id != merchant_id:
        raise NotFound(f"no campaign {campaign_id!r} at merchant {merchant_id!r}")
    return item


def spec_of(item: CampaignItem | ActiveCampaign) -> CampaignSpec:
    return CampaignSpec.model_validate(item.spec)


def _version_row(campaign_id: str, version: int, spec: Mapping[str, Any], actor: str, now: str) -> Guard:
    row = CampaignVersion(
        pk=campaign_key(campaign_id),
        sk=f"V#{version:06d}",
        version=version,
        spec=dict(spec),
        created_at=now,
        created_by=actor,
    )
    return Guard.put(row, CampaignVersion.pk.does_not_exist(), lambda old: _Stale("version exists"))


def _request(
    idem: IdempotencyKey,
    kind: str,
    response: dict[str, Any],
    legs: list[Leg],
    guards: list[Guard],
    **metadata: Any,
) -> EntryRequest:
    return EntryRequest(
        idempotency=idem, kind=kind, legs=legs, guards=guards, metadata=metadata, response=response
    )


def create_campaign(
    ledger: Ledger, merchant_id: str, spec: CampaignSpec, actor: str, idem: IdempotencyKey
) -> EntryResult:
    """A draft, version 1. Campaign ids are global (they name the budget account): a taken id is 409."""
    now = clock.iso(clock.now())
    data = spec.model_dump(mode="json")
    cid = spec.campaign_id
    item = CampaignItem(
        pk=campaign_key(cid),
        campaign_id=cid,
        merchant_id=merchant_id,
        status="draft",
        version=1,
        spec=data,
        updated_at=now,
    )
    listing = CampaignListing(pk=merchant_key(merchant_id), sk=f"CAMPAIGN#{cid}", campaign_id=cid)
    guards = [
        merchant_exists_guard(merchant_id),
        Guard.put(
            item,
            CampaignItem.pk.does_not_exist(),
            lambda old: AlreadyDone(f"campaign id {cid!r} is already taken"),
        ),
        Guard.put(listing, None, lambda old: AlreadyDone(f"campaign id {cid!r} is already taken")),
        _version_row(cid, 1, data, actor, now),
    ]
    response = {"campaign_id": cid, "status": "draft", "version": 1}
    return ledger.transfer(
        _request(
            idem,
            "campaign.created",
            response,
            [],
            guards,
            campaign_id=cid,
            merchant_id=merchant_id,
            actor=actor,
        )
    )


def _status_guard(item: CampaignItem, actions: list[Any], allowed: tuple[str, ...], **extra: Any) -> Guard:
    """Update the campaign if it is still in the status (and version, credits) this step read."""
    condition = (CampaignItem.status == item.status) & (CampaignItem.version == item.version)
    if extra.get("credits") is not None:
        condition &= CampaignItem.credits == extra["credits"]
    cid = item.campaign_id

    def refused(old: Mapping[str, Any] | None) -> LedgerError:
        status = str((old or {}).get("status", {}).get("S", "missing"))
        if status not in allowed:
            return AlreadyDone(f"campaign {cid!r} is {status}")
        return _Stale(f"campaign {cid!r} changed meanwhile")

    key = CampaignItem(pk=item.pk, sk=item.sk)
    return Guard.update(
        key, [*actions, CampaignItem.updated_at.set(clock.iso(clock.now()))], condition, refused
    )


def _active_row(item: CampaignItem, spec: Mapping[str, Any], version: int) -> ActiveCampaign:
    return ActiveCampaign(
        pk=ACTIVE_PK,
        sk=f"{item.merchant_id}#{item.campaign_id}",
        campaign_id=item.campaign_id,
        merchant_id=item.merchant_id,
        version=version,
        spec=dict(spec),
    )


def new_version(
    ledger: Ledger, merchant_id: str, spec: CampaignSpec, actor: str, idem: IdempotencyKey
) -> EntryResult:
    """An edit: version n+1 with the new spec; awards from now on record it. The total limit is counted
    by the allowance funded at activation, so ``max_awards`` cannot change once the campaign ran."""
    item = load(merchant_id, spec.campaign_id)
    if item.status == "ended":
        raise AlreadyDone(f"campaign {spec.campaign_id!r} has ended")
    if item.activated and spec.limits.max_awards != spec_of(item).limits.max_awards:
        raise ValidationFailed("limits.max_awards cannot change once the campaign was activated")
    data, version = spec.model_dump(mode="json"), int(item.version) + 1
    guards = [
        _status_guard(
            item,
            [CampaignItem.version.set(version), CampaignItem.spec.set(data)],
            ("draft", "active", "paused"),
        ),
        _version_row(spec.campaign_id, version, data, actor, clock.iso(clock.now())),
    ]
    if item.status == "active":
        guards.append(Guard.put(_active_row(item, data, version), None, lambda old: _Stale("active row")))
    response = {"campaign_id": spec.campaign_id, "status": item.status, "version": version}
    return ledger.transfer(
        _request(
            idem,
            "campaign.versioned",
            response,
            [],
            guards,
            campaign_id=spec.campaign_id,
            version=version,
            actor=actor,
        )
    )


def _retrying(step: Any) -> EntryResult:
    for _ in range(MAX_STEP_ATTEMPTS - 1):
        try:
            return step()  # type: ignore[no-any-return]
        except _Stale:
            continue
    return step()  # type: ignore[no-any-return]


def activate(
    ledger: Ledger, merchant_id: str, campaign_id: str, amount: int, actor: str, idem: IdempotencyKey
) -> EntryResult:
    """draft or paused -> active, moving ``amount`` from prepaid into the sharded budget in the same entry
    (422 ``insufficient-funds`` when prepaid is short). The first activation funds the award allowance."""

    def step() -> EntryResult:
        item = load(merchant_id, campaign_id)
        if item.status not in ("draft", "paused"):
            raise AlreadyDone(f"campaign {campaign_id!r} is {item.status}")
        spec = spec_of(item)
        if isinstance(spec.effect, PointsEffect) and points.program_terms(ledger, merchant_id) is None:
            raise EffectUnavailable(f"merchant {merchant_id!r} runs no loyalty program to pay points from")
        budget = accounts.budget(campaign_id)
        legs: list[Leg] = []
        if amount:
            source = accounts.prepaid(merchant_id)
            parts = accounts.shard_parts(source)
            if sum(b for _, b in parts) < amount:
                raise InsufficientFunds(f"prepaid cannot cover a budget of {amount}", account=str(source))
            legs += accounts.paired_legs(
                source, accounts.take(parts, amount), budget, accounts.spread(amount, budget.policy.shards)
            )
        if item.status == "draft" and spec.limits.max_awards:
            units = accounts.allowance(campaign_id)
            legs += [
                Leg(accounts.AWARD_ISSUER, units, n, credit_shard=s)
                for s, n in accounts.spread(spec.limits.max_awards, units.policy.shards)
            ]
        remaining = ledger.balance(budget) + amount
        guards = [
            _status_guard(
                item,
                [CampaignItem.status.set("active"), CampaignItem.activated.add(amount)],
                ("draft", "paused"),
            ),
            Guard.put(
                _active_row(item, item.spec, int(item.version)), None, lambda old: _Stale("active row")
            ),
        ]
        response = {"campaign_id": campaign_id, "status": "active", "budget_remaining": remaining}
        try:
            return ledger.transfer(
                _request(
                    idem,
                    "campaign.activated",
                    response,
                    legs,
                    guards,
                    campaign_id=campaign_id,
                    amount=amount,
                    actor=actor,
                )
            )
        except InsufficientFunds as exc:  # a pinned prepaid shard changed since it was read
            raise _Stale(exc.detail) from exc

    return _retrying(step)


def pause(
    ledger: Ledger, merchant_id: str, campaign_id: str, actor: str, idem: IdempotencyKey
) -> EntryResult:
    """active -> paused: out of the active registry, so triggers evaluated from now on pay nothing."""
    item = load(merchant_id, campaign_id)
    if item.status != "active":
        raise AlreadyDone(f"campaign {campaign_id!r} is {item.status}")
    row = ActiveCampaign(pk=ACTIVE_PK, sk=f"{merchant_id}#{campaign_id}")
    guards = [
        _status_guard(item, [CampaignItem.status.set("paused")], ("active",)),
        Guard.delete(row, None, lambda old: _Stale("active row")),
    ]
    response = {"campaign_id": campaign_id, "status": "paused"}
    return ledger.transfer(
        _request(idem, "campaign.paused", response, [], guards, campaign_id=campaign_id, actor=actor)
    )


def end(ledger: Ledger, merchant_id: str, campaign_id: str, actor: str, idem: IdempotencyKey) -> EntryResult:
    """active or paused -> ended, once: every budget shard's balance goes back to prepaid in the entry.

    The legs pin the shards at the balances read; an award spending meanwhile fails a pinned leg and a
    coupon expiry crediting meanwhile bumps ``credits`` (checked by the guard), so the step reads again:
    what is returned is exactly what was left, and nothing can arrive in the budget afterwards.
    """

    def step() -> EntryResult:
        item = load(merchant_id, campaign_id)
        if item.status not in ("active", "paused"):
            raise AlreadyDone(f"campaign {campaign_id!r} is {item.status}")
        budget = accounts.budget(campaign_id)
        parts = accounts.shard_parts(budget)
        returned = sum(b for _, b in parts)
        legs = [Leg(budget, accounts.prepaid(merchant_id), b, debit_shard=s) for s, b in parts]
        row = ActiveCampaign(pk=ACTIVE_PK, sk=f"{merchant_id}#{campaign_id}")
        guards = [
            _status_guard(
                item,
                [CampaignItem.status.set("ended"), CampaignItem.returned.set(returned)],
                ("active", "paused"),
                credits=int(item.credits),
            ),
            Guard.delete(row, None, lambda old: _Stale("active row")),
        ]
        response = {"campaign_id": campaign_id, "status": "ended", "returned": returned}
        try:
            return ledger.transfer(
                _request(
                    idem,
                    "campaign.ended",
                    response,
                    legs,
                    guards,
                    campaign_id=campaign_id,
                    returned=returned,
                    actor=actor,
                )
            )
        except InsufficientFunds as exc:
            raise _Stale(exc.detail) from exc

    return _retrying(step)


def campaign_view(ledger: Ledger, merchant_id: str, campaign_id: str) -> CampaignView:
    item = load(merchant_id, campaign_id)
    balances = ledger.balances([accounts.budget(campaign_id), accounts.awarded(campaign_id)])
    return CampaignView.model_validate(
        {
            **dict(item.spec),
            "merchant_id": merchant_id,
            "status": item.status,
            "version": int(item.version),
            "budget_remaining": balances[accounts.budget(campaign_id)],
            "awards": balances[accounts.awarded(campaign_id)],
        }
    )


def active_campaigns(merchant_id: str | None = None) -> list[ActiveCampaign]:
    """The active registry (one strongly consistent Query), optionally one merchant's part of it."""
    condition = ActiveCampaign.sk.startswith(f"{merchant_id}#") if merchant_id else None
    return list(ActiveCampaign.query(ACTIVE_PK, condition, consistent_read=True))


def public_campaigns() -> PublicCampaigns:
    return PublicCampaigns(
        campaigns=[
            PublicCampaign.model_validate(
                {
                    "campaign_id": row.campaign_id,
                    "merchant_id": row.merchant_id,
                    "name": row.spec["name"],
                    "trigger": row.spec["trigger"],
                    "effect": row.spec["effect"],
                    "ends_at": row.spec.get("ends_at"),
                }
            )
            for row in active_campaigns()
        ]
    )

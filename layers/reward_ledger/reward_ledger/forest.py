"""Forest: oxygen lots earned from payments, collected the same local day, stolen by friends, watered,
planted as trees. Rules and decisions: docs/forest-and-farm.md.

Money (O2, grams) is always ledger money:

* grant (``payments``): ``external:payments/issued/O2`` -> ``system/lots/O2`` (the unripe-lot holding
  account) plus the lot item, one transaction;
* collect: ``system/lots/O2`` -> ``user:<id>/energy/O2`` for every ripe lot, each lot guarded
  (open, ripe, not past its deadline, unchanged since read) in the same transaction;
* steal: a share of a friend's ripe lot -> the thief's energy, guarded by the friendship, the lot and a
  once-per-(lot, thief) marker;
* expiry (sweep, ``exp_kind = "oxygen_lot"``): ``system/lots/O2`` -> ``system/expired/O2``, many lots per
  transaction, each lot guarded;
* water: energy -> a friend's energy; plant: energy -> ``system/planted/O2`` plus a tree certificate.

The holding account's balance always equals the sum of the open lots' remaining grams. Each lot pins the
shard of the holding account its grams sit in (the lot's expiry shard), so collects, steals and expiries
debit exactly that shard and a sweep job touches one shard of it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from pydantic import BaseModel, PositiveInt
from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from reward_ledger import clock, sweep
from reward_ledger.config import StrictModel, load_model
from reward_ledger.errors import AlreadyDone, LedgerError, NotFound, NotRipe, ValidationFailed
from reward_ledger.friends import mutual_guard
from reward_ledger.ledger import (
    Account,
    EntryRequest,
    EntryResult,
    Guard,
    IdempotencyKey,
    Ledger,
    Leg,
    expired_account,
    expiry_for,
    register_model,
    system_account,
    user_account,
)
from reward_ledger.ledger.expiry import expiry_shard
from reward_ledger.ledger.models import LedgerTableMeta

LOT_KIND = "oxygen_lot"
ASSET = "O2"


# ---------------------------------------------------------------------------------------------- config
class LotSettings(StrictModel):
    ripen_minutes: int
    max_lots_per_collect: PositiveInt
    settled_ttl_days: PositiveInt


class StealSettings(StrictModel):
    share_percent: PositiveInt
    max_stolen_percent: PositiveInt


class WaterSettings(StrictModel):
    min_grams: PositiveInt
    max_grams: PositiveInt


class Species(StrictModel):
    species: str
    name: str
    name_zh: str
    cost: PositiveInt


class ForestSettings(BaseModel):
    lots: LotSettings
    steal: StealSettings
    water: WaterSettings
    species: list[Species]


@cache
def settings() -> ForestSettings:
    loaded = load_model("forest", ForestSettings)
    if not 0 <= loaded.lots.ripen_minutes <= 24 * 60 or loaded.lots.max_lots_per_collect > 85:
        raise ValueError("invalid configuration data/forest.toml: lots out of range")
    if loaded.steal.share_percent > loaded.steal.max_stolen_percent or loaded.steal.max_stolen_percent > 100:
        raise ValueError("invalid configuration data/forest.toml: steal shares out of range")
    return loaded


# ---------------------------------------------------------------------------------------------- accounts
LOT_POOL = system_account("lots", ASSET)
EXPIRED = expired_account(ASSET)
PLANTED = system_account("planted", ASSET)


def energy(user_id: str) -> Account:
    return user_account(user_id, "energy", ASSET)


# ---------------------------------------------------------------------------------------------- items
@register_model
class Lot(Model):
    """One oxygen lot: ``pk=FOREST#<user>``, ``sk=LOT#<lot_id>``; the lot id starts with its deadline so
    a range query skips every lot whose day is over."""

    class Meta(LedgerTableMeta):
        pass

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    lot_id = UnicodeAttribute()
    owner = UnicodeAttribute()
    amount = NumberAttribute()
    stolen = NumberAttribute(default=0)
    state = UnicodeAttribute(default="open")  # open -> collected | expired
    ripe_at = UnicodeAttribute()
    deadline = UnicodeAttribute()
    pool_shard = NumberAttribute()
    granted_by = UnicodeAttribute(null=True)
    settled_by = UnicodeAttribute(null=True)
    exp_bucket = UnicodeAttribute(null=True)
    expires_at = UnicodeAttribute(null=True)
    exp_kind = UnicodeAttribute(null=True)
    ttl = NumberAttribute(null=True)

    @property
    def remaining(self) -> int:
        return int(self.amount) - int(self.stolen)


@register_model
class Tree(Model):
    class Meta(LedgerTableMeta):
        pass

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    certificate_id = UnicodeAttribute()
    species = UnicodeAttribute()
    cost = NumberAttribute()
    planted_at = UnicodeAttribute()


@register_model
class Profile(Model):
    """The user's time zone as last seen on a forest or farm request (used by payment events)."""

    class Meta(LedgerTableMeta):
        pass

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default="PROFILE")
    zone = UnicodeAttribute()


@register_model
class StealMarker(Model):
    """``pk=STEAL#<owner>#<lot_id>``, ``sk=<thief>``: a friend takes from a lot at most once."""

    class Meta(LedgerTableMeta):
        pass

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    entry_id = UnicodeAttribute()
    ttl = NumberAttribute(null=True)


def partition(user_id: str) -> str:
    return f"FOREST#{user_id}"


def _compact(instant: datetime) -> str:
    return instant.astimezone(clock.zone("UTC")).strftime("%Y%m%dT%H%M%SZ")


def _ttl(now: datetime, days: int) -> int:
    return int((now + timedelta(days=days)).timestamp())


# ---------------------------------------------------------------------------------------------- grant
@dataclass(frozen=True, slots=True)
class NewLot:
    """What a grant adds to its transaction: the leg into the holding account and the lot item."""

    lot_id: str
    leg: Leg
    guard: Guard
    ripe_at: datetime
    deadline: datetime


def new_lot(
    user_id: str, amount: int, earned_at: datetime, tz: str, entry_id: str, issuer: Account
) -> NewLot:
    """A lot of ``amount`` grams earned at ``earned_at``: ripe after the configured delay (at once when
    that would pass midnight), due at the user's next local midnight (in ``tz``)."""
    deadline = clock.next_local_midnight(earned_at, tz)
    ripe_at = earned_at + timedelta(minutes=settings().lots.ripen_minutes)
    if ripe_at >= deadline:  # earned in the day's last minutes: ripe at once, or it could never be collected
        ripe_at = earned_at
    base = f"{_compact(deadline)}-{entry_id[1:17]}"
    expiry = expiry_for(f"{partition(user_id)}|LOT#{base}", deadline, LOT_KIND)
    shard = expiry_shard(f"{partition(user_id)}|LOT#{base}") % LOT_POOL.policy.shards
    lot_id = f"{base}-{amount}-{shard}"  # carries what a steal needs, so a steal costs no read
    sk = f"LOT#{lot_id}"
    lot = Lot(
        pk=partition(user_id),
        sk=sk,
        lot_id=lot_id,
        owner=user_id,
        amount=amount,
        stolen=0,
        state="open",
        ripe_at=clock.iso(ripe_at),
        deadline=clock.iso(deadline),
        pool_shard=shard,
        granted_by=entry_id,
        exp_bucket=expiry.bucket,
        expires_at=expiry.at,
        exp_kind=expiry.kind,
    )
    guard = Guard.put(
        lot, Lot.pk.does_not_exist(), lambda _old: AlreadyDone(f"lot {lot_id} was already granted")
    )
    return NewLot(lot_id, Leg(issuer, LOT_POOL, amount, credit_shard=shard), guard, ripe_at, deadline)


def stored_zone(user_id: str) -> str | None:
    try:
        return str(Profile.get(partition(user_id), "PROFILE").zone)
    except Profile.DoesNotExist:
        return None


# ---------------------------------------------------------------------------------------------- reads
@dataclass(slots=True)
class ForestState:
    lots: list[Lot]
    trees: list[Tree]
    zone: str | None


def _state(user_id: str, now: datetime) -> ForestState:
    """Lots whose deadline is still ahead, trees and profile: one paginated query (``sk > LOT#<now>``)."""
    connection = Lot._get_connection()
    state = ForestState([], [], None)
    start: dict[str, Any] | None = None
    while True:
        page = connection.query(
            hash_key=partition(user_id),
            range_key_condition=Lot.sk > f"LOT#{_compact(now)}",
            consistent_read=True,
            exclusive_start_key=start,
        )
        for raw in page.get("Items", []):
            sk = str(raw["sk"]["S"])
            if sk.startswith("LOT#"):
                state.lots.append(Lot.from_raw_data(raw))
            elif sk.startswith("TREE#"):
                state.trees.append(Tree.from_raw_data(raw))
            elif sk == "PROFILE":
                state.zone = str(raw["zone"]["S"])
        start = page.get("LastEvaluatedKey")
        if not start:
            return state


def _remember_zone(user_id: str, zone: str | None, seen: str | None) -> None:
    if zone and zone != seen:
        Profile(pk=partition(user_id), sk="PROFILE", zone=zone).save()


def _open(lots: Iterable[Lot], now_iso: str) -> list[Lot]:
    return [lot for lot in lots if lot.state == "open" and lot.deadline > now_iso]


def lot_view(lot: Lot, now_iso: str) -> dict[str, Any]:
    return {
        "lot_id": lot.lot_id,
        "amount": lot.remaining,
        "ripe_at": lot.ripe_at,
        "expires_at": lot.deadline,
        "ripe": lot.ripe_at <= now_iso,
    }


def forest_view(ledger: Ledger, user_id: str, zone: str | None = None) -> dict[str, Any]:
    now = clock.now()
    now_iso = clock.iso(now)
    state = _state(user_id, now)
    _remember_zone(user_id, zone, state.zone)
    return {
        "energy": ledger.balance(energy(user_id)),
        "trees": [
            {
                "certificate_id": t.certificate_id,
                "species": t.species,
                "cost": int(t.cost),
                "planted_at": t.planted_at,
            }
            for t in sorted(state.trees, key=lambda t: t.planted_at)
        ],
        "lots": [lot_view(lot, now_iso) for lot in _open(state.lots, now_iso)],
    }


def friend_lots(user_id: str, friend_id: str) -> dict[str, Any]:
    """A friend's open lots (what can be stolen); callers check the friendship first."""
    now = clock.now()
    now_iso = clock.iso(now)
    lots = _open(_state(friend_id, now).lots, now_iso)
    return {"friend_id": friend_id, "lots": [lot_view(lot, now_iso) for lot in lots]}


# ---------------------------------------------------------------------------------------------- collect
class _LotMoved(LedgerError):
    """A lot changed between the read and the write (stolen from, collected, expired): read again."""

    def __init__(self, key: str) -> None:
        super().__init__(f"lot {key} changed")
        self.key = key


def _settle_guard(lot: Lot, condition: Any, state: str, entry_id: str, now: datetime) -> Guard:
    key = f"{lot.pk}|{lot.sk}"
    return Guard.update(
        Lot(pk=lot.pk, sk=lot.sk),
        [
            Lot.state.set(state),
            Lot.settled_by.set(entry_id),
            Lot.exp_bucket.remove(),
            Lot.exp_kind.remove(),
            Lot.ttl.set(_ttl(now, settings().lots.settled_ttl_days)),
        ],
        condition,
        lambda _old: _LotMoved(key),
    )


def collect(ledger: Ledger, user_id: str, idem: IdempotencyKey, zone: str | None = None) -> EntryResult:
    """Move every ripe own lot (up to the configured number) into the user's energy: one query to find
    them, one transaction to take them; lots changed meanwhile make it read again (bounded)."""
    for _attempt in range(4):
        now = clock.now()
        now_iso = clock.iso(now)
        state = _state(user_id, now)
        _remember_zone(user_id, zone, state.zone)
        ripe = [lot for lot in _open(state.lots, now_iso) if lot.ripe_at <= now_iso and lot.remaining > 0]
        ripe = sorted(ripe, key=lambda lot: lot.deadline)[: settings().lots.max_lots_per_collect]
        total = sum(lot.remaining for lot in ripe)
        guards = [
            _settle_guard(
                lot,
                (Lot.state == "open")
                & (Lot.stolen == int(lot.stolen))
                & (Lot.ripe_at <= now_iso)
                & (Lot.deadline > now_iso),
                "collected",
                idem.entry_id,
                now,
            )
            for lot in ripe
        ]
        request = EntryRequest(
            idempotency=idem,
            kind="forest.collect",
            legs=[
                Leg(LOT_POOL, energy(user_id), lot.remaining, debit_shard=int(lot.pool_shard)) for lot in ripe
            ],
            guards=guards,
            metadata={"user_id": user_id, "lots": [lot.lot_id for lot in ripe]},
            response={"entry_id": idem.entry_id, "collected": total, "lots": len(ripe)},
        )
        try:
            return ledger.transfer(request)
        except _LotMoved:
            continue
    raise AlreadyDone("your lots keep changing; try again")


# ---------------------------------------------------------------------------------------------- friends
def _lot_refusal(lot_id: str, now_iso: str) -> Any:
    def refuse(old: Mapping[str, Any] | None) -> LedgerError:
        old = old or {}
        state = old.get("state", {}).get("S", "open")
        if state != "open":
            return AlreadyDone(f"lot {lot_id} was already {state}")
        if old.get("ripe_at", {}).get("S", "") > now_iso:
            return NotRipe(f"lot {lot_id} is not ripe yet")
        if old.get("deadline", {}).get("S", "") <= now_iso:
            return AlreadyDone(f"lot {lot_id} has expired")
        return AlreadyDone(f"nothing more may be taken from lot {lot_id}")

    return refuse


def _lot_facts(lot_id: str) -> tuple[int, int]:
    """(amount, pool shard) carried by a lot id; the steal's guard checks them against the stored lot."""
    parts = lot_id.rsplit("-", 2)
    if len(parts) != 3 or not parts[1].isdigit() or not parts[2].isdigit():
        raise NotFound(f"no lot {lot_id}")
    return int(parts[1]), int(parts[2])


def steal(ledger: Ledger, thief: str, owner: str, lot_id: str, idem: IdempotencyKey) -> EntryResult:
    """Take the configured share of a friend's ripe lot: once per (lot, thief), never from an unripe,
    collected or expired lot, never beyond the lot's stealable share.

    One transaction and no read: the lot id carries the lot's amount and pool shard, and the lot guard
    requires the stored lot to match them (a forged or foreign id finds no matching lot: 404)."""
    now = clock.now()
    now_iso = clock.iso(now)
    amount, pool_shard = _lot_facts(lot_id)
    rules = settings().steal
    share = max(1, amount * rules.share_percent // 100)
    cap = amount * rules.max_stolen_percent // 100
    marker = StealMarker(
        pk=f"STEAL#{owner}#{lot_id}",
        sk=thief,
        entry_id=idem.entry_id,
        ttl=_ttl(now, settings().lots.settled_ttl_days),
    )
    refuse = _lot_refusal(lot_id, now_iso)
    guards = [
        mutual_guard(thief, owner),
        Guard.put(
            marker,
            StealMarker.pk.does_not_exist(),
            lambda _old: AlreadyDone(f"you already took from lot {lot_id}"),
        ),
        Guard.update(
            Lot(pk=partition(owner), sk=f"LOT#{lot_id}"),
            [Lot.stolen.add(share)],
            Lot.pk.exists()
            & (Lot.amount == amount)
            & (Lot.pool_shard == pool_shard)
            & (Lot.state == "open")
            & (Lot.ripe_at <= now_iso)
            & (Lot.deadline > now_iso)
            & (Lot.stolen <= cap - share),
            lambda old: refuse(old) if old else NotFound(f"{owner} has no lot {lot_id}"),
        ),
    ]
    return ledger.transfer(
        EntryRequest(
            idempotency=idem,
            kind="forest.steal",
            legs=[Leg(LOT_POOL, energy(thief), share, debit_shard=pool_shard)],
            guards=guards,
            metadata={"thief": thief, "owner": owner, "lot_id": lot_id},
            response={"entry_id": idem.entry_id, "stolen": share, "lot_id": lot_id},
        )
    )


def water(ledger: Ledger, user_id: str, friend_id: str, amount: int, idem: IdempotencyKey) -> EntryResult:
    """Give a mutual friend ``amount`` grams of your energy (one transaction with the friendship check)."""
    bounds = settings().water
    if not bounds.min_grams <= amount <= bounds.max_grams:
        raise ValidationFailed(f"a watering is {bounds.min_grams}..{bounds.max_grams} grams")
    return ledger.transfer(
        EntryRequest(
            idempotency=idem,
            kind="forest.water",
            legs=[Leg(energy(user_id), energy(friend_id), amount)],
            guards=[mutual_guard(user_id, friend_id)],
            metadata={"from": user_id, "to": friend_id},
            response={"entry_id": idem.entry_id, "amount": amount},
        )
    )


# ---------------------------------------------------------------------------------------------- trees
def catalog() -> dict[str, Species]:
    return {s.species: s for s in settings().species}


def certificate_id(entry_id: str) -> str:
    return "CERT-" + entry_id[1:17].upper()


def plant(ledger: Ledger, user_id: str, species: str, idem: IdempotencyKey) -> EntryResult:
    """Spend a species' cost of energy on a real tree; the certificate id is derived from the entry."""
    found = catalog().get(species)
    if found is None:
        raise ValidationFailed(f"unknown species {species!r}; species: {', '.join(catalog())}")
    now = clock.now()
    cert = certificate_id(idem.entry_id)
    tree = Tree(
        pk=partition(user_id),
        sk=f"TREE#{cert}",
        certificate_id=cert,
        species=found.species,
        cost=found.cost,
        planted_at=clock.iso(now),
    )
    return ledger.transfer(
        EntryRequest(
            idempotency=idem,
            kind="forest.tree",
            legs=[Leg(energy(user_id), PLANTED, found.cost)],
            guards=[
                Guard.put(tree, Tree.pk.does_not_exist(), lambda _old: AlreadyDone("tree already planted"))
            ],
            metadata={"user_id": user_id, "species": found.species, "certificate_id": cert},
            response={"certificate_id": cert, "cost": found.cost, "species": found.species},
        )
    )


# ---------------------------------------------------------------------------------------------- audit
def pool_mismatches(ledger: Ledger) -> list[dict[str, int]]:
    """Shards of ``system/lots/O2`` whose balance differs from the grams left in the open lots pinned to
    them (a scan: an operator's or test's check, next to the ledger's own reconciliation)."""
    expected = [0] * LOT_POOL.policy.shards
    for lot in Lot.scan(Lot.sk.startswith("LOT#") & (Lot.state == "open")):
        expected[int(lot.pool_shard)] += lot.remaining
    actual = ledger.shard_balances(LOT_POOL)
    return [
        {"shard": shard, "balance": actual[shard], "open_lots": expected[shard]}
        for shard in range(len(expected))
        if actual[shard] != expected[shard]
    ]


# ---------------------------------------------------------------------------------------------- expiry
def expire_lots(ledger: Ledger, items: Sequence[Mapping[str, Any]]) -> int:
    """Sweep expirer of ``oxygen_lot`` items: batches of lots -> ``system/expired/O2``, each lot guarded
    (still open, unchanged, past its deadline). The entry key is derived from the batch's item keys."""
    now = clock.now()
    now_iso = clock.iso(now)
    lots = [Lot.from_raw_data(dict(raw)) for raw in items]
    pending = [lot for lot in lots if lot.state == "open" and lot.deadline <= now_iso]
    size = sweep.settings().batch_size
    expired = 0
    for start in range(0, len(pending), size):
        batch = pending[start : start + size]
        while batch:
            keys = sorted(f"{lot.pk}|{lot.sk}" for lot in batch)
            digest = hashlib.sha256("\n".join(keys).encode()).hexdigest()
            idem = IdempotencyKey("expiry:oxygen_lot", digest, {"lots": keys})
            request = EntryRequest(
                idempotency=idem,
                kind="forest.expiry",
                legs=[
                    Leg(LOT_POOL, EXPIRED, lot.remaining, debit_shard=int(lot.pool_shard))
                    for lot in batch
                    if lot.remaining > 0
                ],
                guards=[
                    _settle_guard(
                        lot,
                        (Lot.state == "open") & (Lot.stolen == int(lot.stolen)) & (Lot.deadline <= now_iso),
                        "expired",
                        idem.entry_id,
                        now,
                    )
                    for lot in batch
                ],
                metadata={"lots": len(batch), "grams": sum(lot.remaining for lot in batch)},
                response={"entry_id": idem.entry_id, "lots": len(batch)},
            )
            try:
                result = ledger.transfer(request)
            except _LotMoved as moved:  # settled meanwhile: leave it out, expire the rest
                batch = [lot for lot in batch if f"{lot.pk}|{lot.sk}" != moved.key]
                continue
            expired += 0 if result.replayed else len(batch)
            break
    return expired


sweep.register_expirer(LOT_KIND, expire_lots)

"""Trees: energy spent on a real tree of a species from the catalog, with a certificate."""

from __future__ import annotations

from reward_ledger import clock
from reward_ledger.errors import AlreadyDone, ValidationFailed
from reward_ledger.forest.config import Species, settings
from reward_ledger.forest.items import PLANTED, Tree, energy, partition
from reward_ledger.ledger import EntryRequest, EntryResult, Guard, IdempotencyKey, Ledger, Leg


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

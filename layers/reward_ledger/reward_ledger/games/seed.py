"""The games of ``data/games.toml`` as seed data: registered once, at deploy and at local start.

Rule: the seed registers a game of the file only while no game of that id exists. Once it exists, the
table is the truth: an operator's edit or suspension survives every redeploy, and a change to a seeded
game's entry in the file is reported and not applied (edit it through ``PUT /v1/admin/games/{id}``).
The missing games are registered in one entry per ``MAX_GAMES_PER_ENTRY`` (keyed by what it registers),
so a second run finds nothing missing and writes nothing; two racing runs write it once.
"""

from __future__ import annotations

import hashlib
import json

from reward_ledger.errors import AlreadyDone
from reward_ledger.games.catalog import Game, config
from reward_ledger.games.registry import CATALOG_PK, GameItem, as_game, registration_guards
from reward_ledger.ledger import EntryRequest, IdempotencyKey, Ledger
from reward_ledger.ledger.core import MAX_TRANSACTION_ITEMS

ACTOR = "seed"
SCOPE = "seed:games"
GUARDS_PER_GAME = 2  # the catalog entry and its version row
MAX_GAMES_PER_ENTRY = (MAX_TRANSACTION_ITEMS - 1) // GUARDS_PER_GAME  # and the entry header
MAX_RUNS = 3  # a run that raced an operator registering one of the games reads again


def _register(ledger: Ledger, missing: list[Game]) -> None:
    body = [g.model_dump(mode="json") for g in missing]
    digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:24]
    guards = [guard for g in missing for guard in registration_guards(g, ACTOR)]
    assert len(guards) + 1 <= MAX_TRANSACTION_ITEMS, "a seed entry fits one transaction"
    ids = [g.game_id for g in missing]
    ledger.transfer(
        EntryRequest(
            idempotency=IdempotencyKey(SCOPE, digest, {"games": body}),
            kind="games.seeded",
            legs=[],
            guards=guards,
            metadata={"games": ids, "actor": ACTOR},
            response={"games": ids},
        )
    )


def seed_games(ledger: Ledger) -> list[str]:
    """Register the file's games that the table lacks; returns what each game ended up as."""
    wanted = {g.game_id: g for g in config().games}
    for _ in range(MAX_RUNS):
        found = {item.sk: item for item in GameItem.batch_get([(CATALOG_PK, gid) for gid in wanted])}
        missing = [g for gid, g in wanted.items() if gid not in found]
        try:
            for start in range(0, len(missing), MAX_GAMES_PER_ENTRY):
                _register(ledger, missing[start : start + MAX_GAMES_PER_ENTRY])
        except AlreadyDone:
            continue
        return [_report(g, found.get(g.game_id)) for g in wanted.values()]
    raise AlreadyDone("the game catalog kept changing while it was seeded")


def _report(seeded: Game, item: GameItem | None) -> str:
    if item is None:
        return f"game {seeded.game_id}: registered"
    current = as_game(item)
    same = current.spec_data() == seeded.spec_data()
    note = "" if same else " (the file differs from the table: the table is kept)"
    return f"game {seeded.game_id}: {current.status}, version {current.version}{note}"

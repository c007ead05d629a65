"""Campaign trigger events read from committed entry headers: ``game.result`` and ``story.choice``.

Merchants' campaigns are evaluated as a follow-up of the feature's committed entry, never inside it
(docs/merchants.md): the games and savings features only write their own entries, and the publisher
turns those entries into the events ``CampaignTriggersFunction`` listens to on the ledger's bus. The
stream makes it reliable: nothing committed is missed, a repeat carries the same ``entry_id``, which is
the award's trigger id, so a repeated event never pays twice.

* ``games.result`` inserted ``posted`` (a credited result), or a held one turning ``pending`` ->
  ``posted`` (an operator approved it): ``game.result`` with the level the session was opened for.
* ``savings.choice`` inserted: ``story.choice`` (a sponsored choice is a campaign on that choice).
"""

from __future__ import annotations

from typing import Any

from reward_ledger.outbound.schema import (
    GAME_RESULT,
    STORY_CHOICE,
    GameResult,
    Image,
    Outbound,
    StoryChoice,
    json_map,
)

GAME_RESULT_KIND = "games.result"
STORY_CHOICE_KIND = "savings.choice"


def _credited(event_name: str, old: Image | None, new: Image) -> bool:
    state = str(new.get("state") or "posted")
    if event_name == "INSERT":
        return state == "posted"
    return event_name == "MODIFY" and state == "posted" and (old or {}).get("state") == "pending"


def _game_result(entry_id: str, meta: dict[str, Any]) -> Outbound:
    level = meta.get("level")
    detail = GameResult(
        entry_id=entry_id,
        user_id=str(meta["user_id"]),
        game_id=str(meta["game_id"]),
        level=None if level is None else int(level),
        score=int(meta["score"]),
    )
    return Outbound(detail_type=GAME_RESULT, dedupe_id=entry_id, detail=detail)


def _story_choice(entry_id: str, meta: dict[str, Any]) -> Outbound:
    detail = StoryChoice(
        entry_id=entry_id,
        user_id=str(meta["user_id"]),
        story_id=str(meta["story_id"]),
        choice_id=str(meta["choice_id"]),
    )
    return Outbound(detail_type=STORY_CHOICE, dedupe_id=entry_id, detail=detail)


def trigger_events(event_name: str, keys: Image, old: Image | None, new: Image | None) -> list[Outbound]:
    """The campaign trigger one stream record of the ledger table gives (most give none)."""
    pk, sk = str(keys.get("pk", "")), str(keys.get("sk", ""))
    if new is None or sk != "ENTRY" or not pk.startswith("ENTRY#"):
        return []
    kind, entry_id, meta = (
        str(new.get("kind", "")),
        str(new.get("entry_id", "")),
        json_map(new.get("metadata")),
    )
    if kind == GAME_RESULT_KIND and _credited(event_name, old, new):
        return [_game_result(entry_id, meta)]
    if kind == STORY_CHOICE_KIND and event_name == "INSERT" and "user_id" in meta:
        return [_story_choice(entry_id, meta)]
    return []

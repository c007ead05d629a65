"""Game results and sponsored savings choices reach the seeded campaigns end to end: the feature's entry
commits, the stream feeds the publisher, the bus delivers ``game.result`` / ``story.choice`` to the
campaign triggers, and each matching campaign pays once from the brand's own budget."""

from __future__ import annotations

from typing import Any

from infra.discovery import ACCOUNT_ID
from infra.handlers import invoke
from infra.streams import StreamSource
from reward_ledger import clock
from reward_ledger.campaigns import accounts
from reward_ledger.campaigns.seed import seed_campaigns
from reward_ledger.games import seed_budgets
from reward_ledger.ledger import Ledger, reconcile, user_account
from reward_ledger.outbound import schema
from tests.conftest import Api, fund
from tests.events.conftest import Consumer
from tests.games.conftest import T0, Player, advance, key
from tests.games.test_antifraud import review

CASH, PURSE = user_account("alice", "cash", "CNY"), user_account("alice", "purse", "CNY")


def as_delivered(event: dict[str, Any]) -> dict[str, Any]:
    """The envelope EventBridge hands a target (moto's queue copy lacks the account)."""
    return {**event, "account": ACCOUNT_ID}


def deliver(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each event handed to the campaign triggers as the rule on the bus delivers it."""
    outcomes = []
    for event in events:
        outcomes += invoke("CampaignTriggersFunction", as_delivered(event))["outcomes"]
    return outcomes


def published(consumer: Consumer, stream: StreamSource, detail_type: str) -> list[dict[str, Any]]:
    stream.pump()
    events = consumer.drain(detail_type)
    consumer.received.clear()
    return events


def play_level(player: Player, level: int | None, score: int) -> dict[str, Any]:
    body = {} if level is None else {"level": level}
    status, opened, _ = player.api.call(
        "POST",
        "/v1/games/puzzle/sessions",
        route="/v1/games/{game_id}/sessions",
        path_parameters={"game_id": "puzzle"},
        body=body,
        headers={"Idempotency-Key": key("open")},
        user=player.user,
    )
    assert status == 201, opened
    advance(seconds=30)
    status, result, _ = player.submit(opened["session_id"], score, 30_000)
    assert (status, result["status"]) == (201, "credited"), result
    return result


def test_seeding_is_idempotent_and_the_sponsor_boosts_are_game_result_campaigns(ledger: Ledger) -> None:
    clock.set_now(T0)
    first = seed_campaigns(ledger, fund=True)
    assert first == seed_campaigns(ledger, fund=True)  # a second run replays every step
    assert all(line.endswith("active") for line in first), first
    assert ledger.balance(accounts.prepaid("brand-tea")) == 0  # all of it moved into the four budgets
    assert ledger.balance(accounts.budget("spring-tea-puzzle")) == 500_000
    assert reconcile().ok


def test_a_credited_result_pays_the_games_and_the_levels_campaigns_once(
    ledger: Ledger, consumer: Consumer, stream: StreamSource
) -> None:
    clock.set_now(T0)
    seed_budgets(ledger, house=10_000)
    seed_campaigns(ledger, fund=True)
    player = Player(Api("GamesFunction"))
    assert play_level(player, 3, 600)["sponsored"] == 0  # the game's own entry pays the table only
    first = published(consumer, stream, schema.GAME_RESULT)
    outcomes = deliver(first)
    paid = {o["campaign_id"]: o["amount"] for o in outcomes if o["status"] == "awarded"}
    assert paid == {"spring-tea-puzzle": 2, "spring-tea-puzzle-level-3": 20}
    assert ledger.balance(CASH) == 6 + 2 + 20
    # a level-3 result below its minimum score, and a result of no level: only the game's campaign
    play_level(player, 3, 100)
    play_level(player, None, 600)
    outcomes = deliver(published(consumer, stream, schema.GAME_RESULT))
    assert sorted(o["campaign_id"] for o in outcomes if o["status"] == "awarded") == ["spring-tea-puzzle"] * 2
    assert ledger.balance(CASH) == 28 + (1 + 2) + (6 + 2)
    # delivered again (at least once): the entry id is the awards' trigger id, nothing pays twice
    assert all(o.get("replayed") for o in deliver(first))
    assert ledger.balance(CASH) == 28 + 3 + 8
    assert ledger.balance(accounts.budget("spring-tea-puzzle")) == 500_000 - 3 * 2
    assert reconcile().ok


def test_a_sponsored_choice_adds_the_brands_bonus_to_the_purse_once(
    ledger: Ledger, consumer: Consumer, stream: StreamSource
) -> None:
    clock.set_now(T0)
    seed_campaigns(ledger, fund=True)
    fund("alice", 10_000)
    status, chosen, _ = Api("SavingsFunction").call(
        "POST",
        "/v1/stories/first-date/choices",
        route="/v1/stories/{story_id}/choices",
        path_parameters={"story_id": "first-date"},
        body={"chapter": 1, "choice_id": "spring-tea"},
        headers={"Idempotency-Key": "choice-1"},
        user="alice",
    )
    assert status == 201, chosen
    stream.pump()
    [event] = consumer.drain(schema.STORY_CHOICE)
    assert event["detail"] == {
        "entry_id": chosen["entry_id"],
        "user_id": "alice",
        "story_id": "first-date",
        "choice_id": "spring-tea",
    }
    for _ in range(2):  # EventBridge delivers at least once
        invoke("CampaignTriggersFunction", as_delivered(event))
    assert ledger.balance(PURSE) == 1_800 + 200
    assert ledger.balance(accounts.budget("spring-tea-first-date")) == 100_000 - 200
    assert reconcile().ok


def test_a_held_result_triggers_nothing_until_an_operator_approves_it(
    ledger: Ledger, consumer: Consumer, stream: StreamSource
) -> None:
    clock.set_now(T0)
    seed_budgets(ledger, house=10_000)
    seed_campaigns(ledger, fund=True)
    status, held, _ = Player(Api("GamesFunction")).play(score=1001, duration_ms=60_000)  # above max_score
    assert (status, held["status"]) == (201, "held")
    assert published(consumer, stream, schema.GAME_RESULT) == []
    assert review(Api("GamesAdminFunction"), held["entry_id"], "approve")[0] == 201
    [event] = published(consumer, stream, schema.GAME_RESULT)
    assert (event["detail"]["entry_id"], event["detail"]["score"]) == (held["entry_id"], 1001)
    assert [o["campaign_id"] for o in deliver([event]) if o["status"] == "awarded"] == ["spring-tea-puzzle"]
    assert ledger.balance(CASH) == 10 + 2

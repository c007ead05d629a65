"""Rules without AWS (catalog, signature, plausibility) and the one-round-trip promise under moto."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import pytest

from bench.common import CALLS
from reward_ledger.games import Game, config, sign
from reward_ledger.games.antifraud import implausible
from reward_ledger.games.catalog import GamesConfig
from tests.conftest import Api
from tests.games.conftest import Player, advance, key


def seeded(game_id: str) -> Game:
    """A game as data/games.toml seeds it (no AWS needed)."""
    return next(g for g in config().games if g.game_id == game_id)


def test_the_catalog_is_data_with_reward_tables() -> None:
    puzzle = seeded("puzzle")
    assert [puzzle.reward_for(s) for s in (0, 199, 200, 499, 500, 800, 1000)] == [1, 1, 3, 3, 6, 10, 10]
    assert len(config().games) >= 3
    assert config().rewards.house.kind == "system"


def test_the_signature_is_the_contracts_hmac() -> None:
    expected = hmac.new(b"s3cret", b"puzzle.abc:42:1000", hashlib.sha256).hexdigest()
    assert sign(b"s3cret", "puzzle.abc", 42, 1000) == expected
    assert expected == expected.lower()


@pytest.mark.parametrize(
    ("score", "duration_ms", "reasons"),
    [
        (500, 30_000, []),
        (1001, 60_000, ["score-above-max"]),
        (700, 30_000, ["score-rate"]),
        (1, 9_999, ["duration-range"]),
        (1, 900_001, ["duration-range"]),
    ],
)
def test_plausibility_limits(score: int, duration_ms: int, reasons: list[str]) -> None:
    assert implausible(seeded("puzzle"), score, duration_ms) == reasons


def test_a_bad_configuration_is_refused_at_load() -> None:
    raw = config().model_dump()
    raw["games"].append(dict(raw["games"][0]))
    with pytest.raises(ValueError, match="duplicate game_id"):
        GamesConfig.model_validate(raw)
    raw = config().model_dump()
    raw["games"][0]["rewards"] = [{"min_score": 5, "fen": 1}]
    with pytest.raises(ValueError, match="start at 0"):
        GamesConfig.model_validate(raw)


def test_an_accepted_result_and_a_withdrawal_are_one_dynamodb_call_each(
    games_api: Api, withdrawals_api: Api
) -> None:
    player = Player(games_api, device="phone-1")
    _, opened, _ = player.open()
    advance(seconds=60)
    with CALLS.measure():
        status, body, _ = player.submit(opened["session_id"], 800, 60_000)
    assert (status, body["status"]) == (201, "credited")
    assert dict(CALLS.calls) == {"TransactWriteItems": 1}
    with CALLS.measure():
        status, _, _ = withdrawals_api.call(
            "POST", "/v1/withdrawals", body={"amount": 10}, headers={"Idempotency-Key": key()}
        )
    assert status == 202
    assert dict(CALLS.calls) == {"TransactWriteItems": 1}


def _open(games_api: Api, claims: dict[str, str]) -> tuple[int, dict[str, Any]]:
    status, body, _ = games_api.call(
        "POST",
        "/v1/games/puzzle/sessions",
        route="/v1/games/{game_id}/sessions",
        path_parameters={"game_id": "puzzle"},
        body={},
        headers={"Idempotency-Key": key("open")},
        claims=claims,
    )
    return status, body


def test_a_new_users_session_records_the_zone_in_its_own_transaction(games_api: Api) -> None:
    """The cap zone is recorded on first use inside the session's transaction: one round trip for a
    user no environment has seen, and none more for the result that follows."""
    from reward_ledger import cap_zones

    _open(games_api, {"sub": "warm-up"})  # the catalog's per-process cache is filled once
    with CALLS.measure():
        status, _ = _open(games_api, {"sub": "newcomer", "zoneinfo": "Europe/Paris"})
    assert status == 201
    assert dict(CALLS.calls) == {"TransactWriteItems": 1}
    cap_zones.forget_known()  # another environment reads the record the transaction wrote
    assert cap_zones.cap_zone("newcomer", None) == "Europe/Paris"


def test_a_claim_that_disagrees_with_the_record_is_settled_and_the_session_still_opens(
    games_api: Api,
) -> None:
    """A record holding another zone fails the in-transaction condition: the open reads the record,
    schedules the new claim for the end of the recorded day (never at once) and opens the session."""
    from reward_ledger import cap_zones

    assert _open(games_api, {"sub": "traveller", "zoneinfo": "Asia/Shanghai"})[0] == 201
    cap_zones.forget_known()
    status, body = _open(games_api, {"sub": "traveller", "zoneinfo": "Etc/GMT+12"})
    assert status == 201, body
    record = cap_zones.CapZone.get("CAPZONE#traveller", cap_zones.CAP_ZONE_SK)
    assert (record.zone, record.next_zone) == ("Asia/Shanghai", "Etc/GMT+12")

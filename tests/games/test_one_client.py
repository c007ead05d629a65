"""A game request reuses the environment's DynamoDB client (see ``reward_ledger.ledger.table``)."""

from __future__ import annotations

import pytest
from pynamodb.connection import Connection

from tests.conftest import Api
from tests.games.conftest import Player


def test_a_session_and_its_result_build_one_client(games_api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """Opening a session (a rate-limited transaction) and paying its result used to build a new
    botocore client per request; each costs tens of milliseconds of CPU on a cold start."""
    built: list[int] = []
    original = Connection.client.fget
    assert original is not None

    def counting(self: Connection) -> object:
        before = self._client
        client = original(self)
        if client is not before:
            built.append(id(self))
        return client

    monkeypatch.setattr(Connection, "client", property(counting))
    player = Player(games_api)
    for _ in range(3):
        status, body, _headers = player.play()
        assert status == 201, body
    assert len(built) <= 1  # the seeded budgets may have built it already; never one per request

"""Fixtures of the savings tests: the savings function's API and a funded caller."""

from __future__ import annotations

from typing import Any

import pytest

from reward_ledger.ledger import Ledger
from reward_ledger.savings import purse, wallet
from tests.conftest import Api, fund

CHOICES = "/v1/stories/{story_id}/choices"
RELEASES = "/v1/purse/releases"


class SavingsApi(Api):
    """The savings function with the routes spelled out once."""

    def __init__(self) -> None:
        super().__init__("SavingsFunction")

    def choose(
        self, story: str, chapter: int, choice: str, key: str, *, user: str = "alice", **kw: Any
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        return self.call(
            "POST",
            f"/v1/stories/{story}/choices",
            route=CHOICES,
            path_parameters={"story_id": story},
            body=kw.pop("body", {"chapter": chapter, "choice_id": choice}),
            headers={"Idempotency-Key": key},
            user=user,
            **kw,
        )

    def release(
        self, amount: Any, key: str, *, user: str = "alice", **kw: Any
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        return self.call(
            "POST", RELEASES, body={"amount": amount}, headers={"Idempotency-Key": key}, user=user, **kw
        )

    def story(
        self, story: str, *, user: str = "alice", **kw: Any
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        return self.call(
            "GET",
            f"/v1/stories/{story}",
            route="/v1/stories/{story_id}",
            path_parameters={"story_id": story},
            user=user,
            **kw,
        )


@pytest.fixture
def savings_api(ledger_table: str) -> SavingsApi:
    return SavingsApi()


def books(ledger: Ledger, user: str) -> tuple[int, int]:
    """(wallet, purse) of ``user`` in fen."""
    found = ledger.balances([wallet(user), purse(user)])
    return found[wallet(user)], found[purse(user)]


@pytest.fixture
def alice_funded(ledger_table: str) -> int:
    fund("alice", 100_000, "fund-alice")
    return 100_000

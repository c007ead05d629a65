"""The seed catalogs at deploy (the CatalogSeed custom resource) and at local start: idempotent, never
overwriting an operator's edit, and always answering CloudFormation."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import boto3
import pytest

from infra.handlers import invoke
from reward_ledger.catalog_seed import seed_catalogs
from reward_ledger.games import registry
from reward_ledger.games import seed as games_seed
from reward_ledger.ledger import Ledger
from tests.conftest import Api
from tests.games.test_catalog_admin import SPEC, admin, edit, set_status


def table_items() -> list[dict[str, Any]]:
    client = boto3.client("dynamodb", region_name="us-east-1")
    name = client.list_tables()["TableNames"][0]
    return sorted(client.scan(TableName=name)["Items"], key=lambda i: json.dumps(i, sort_keys=True))


def test_the_seed_twice_in_a_row_changes_nothing(ledger: Ledger) -> None:
    first = seed_catalogs(ledger)  # the games are already seeded by the fixture, as a first deploy would
    before = table_items()
    second = seed_catalogs(ledger)
    assert table_items() == before and second == first
    assert "game puzzle: active, version 1" in second
    assert {item.sk for item in registry.GameItem.query(registry.CATALOG_PK)} >= {
        "puzzle",
        "trivia",
        "physics",
    }


def test_an_operator_edit_and_suspension_survive_a_redeploy(
    ledger: Ledger, admin_api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    edit(admin_api, "puzzle", SPEC)
    set_status(admin_api, "puzzle", "suspended")
    # a redeploy whose file also changed the puzzle: the table is kept, and the change is reported
    changed = games_seed.config().model_copy(deep=True)
    changed.games[0] = changed.games[0].model_copy(update={"max_score": 7})
    monkeypatch.setattr(games_seed, "config", lambda: changed)
    report = games_seed.seed_games(ledger)
    assert "game puzzle: suspended, version 2 (the file differs from the table: the table is kept)" in report
    view = admin(admin_api, "GET", "/v1/admin/games/puzzle", "/v1/admin/games/{game_id}")[1]
    assert (view["version"], view["status"], view["spec"]["title"]) == (2, "suspended", "Tap tap")


def test_a_game_added_to_the_file_is_registered_by_the_next_deploy(
    ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    grown = games_seed.config().model_copy(deep=True)
    grown.games.append(
        grown.games[0].model_copy(
            update={"game_id": "maze", "secret_parameter": "/reward-ledger/games/maze/secret"}
        )
    )
    monkeypatch.setattr(games_seed, "config", lambda: grown)
    assert "game maze: registered" in games_seed.seed_games(ledger)
    assert "game maze: active, version 1" in games_seed.seed_games(ledger)


class _Answers(BaseHTTPRequestHandler):
    """CloudFormation's pre-signed response URL: keeps every answer PUT to it."""

    received: list[dict[str, Any]] = []

    def do_PUT(self) -> None:
        length = int(self.headers["Content-Length"])
        self.received.append(json.loads(self.rfile.read(length)))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def response_url() -> Iterator[str]:
    _Answers.received = []
    server = HTTPServer(("127.0.0.1", 0), _Answers)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/answer"
    server.shutdown()


def request(kind: str, url: str) -> dict[str, Any]:
    return {
        "RequestType": kind,
        "ResponseURL": url,
        "StackId": "arn:aws:cloudformation:us-east-1:000000000000:stack/ledger/x",
        "RequestId": f"r-{kind}",
        "LogicalResourceId": "CatalogSeed",
        "ResourceType": "AWS::CloudFormation::CustomResource",
        "ResourceProperties": {"Layer": "arn:layer:1"},
    }


def test_the_custom_resource_answers_cloudformation_on_every_path(
    ledger: Ledger, response_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert invoke("CatalogSeedFunction", request("Create", response_url)) == {"status": "SUCCESS"}
    assert invoke("CatalogSeedFunction", request("Update", response_url)) == {"status": "SUCCESS"}
    assert invoke("CatalogSeedFunction", request("Delete", response_url)) == {"status": "SUCCESS"}
    assert registry.read("puzzle") is not None  # a stack delete leaves the retained table's data alone

    def broken(_ledger: Ledger) -> list[str]:
        raise RuntimeError("the table is unreachable")

    monkeypatch.setattr(games_seed, "seed_games", broken)
    assert invoke("CatalogSeedFunction", request("Update", response_url)) == {"status": "FAILED"}
    answers = _Answers.received
    assert [a["Status"] for a in answers] == ["SUCCESS", "SUCCESS", "SUCCESS", "FAILED"]
    assert answers[-1]["Reason"] == "RuntimeError: the table is unreachable"
    assert {a["PhysicalResourceId"] for a in answers} == {"reward-ledger-catalog-seed"}
    assert all(a["RequestId"].startswith("r-") and a["LogicalResourceId"] == "CatalogSeed" for a in answers)


def test_every_test_environment_starts_with_the_seed_entries_the_suite_counts(ledger: Ledger) -> None:
    """``tests.conftest.SEED_ENTRIES`` is what the seeded catalog wrote: tests that count entries
    subtract exactly it."""
    from reward_ledger.ledger import reconcile
    from tests.conftest import SEED_ENTRIES

    assert reconcile().entries == SEED_ENTRIES

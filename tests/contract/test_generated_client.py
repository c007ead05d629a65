"""A client generated from openapi.json by openapi-python-client drives the API end to end over HTTP.

The client is generated into a temporary directory (never committed) from the committed spec, so a
response model or status the spec gets wrong breaks its typed parsing here: fund, choose a story
choice, play a game, withdraw, read balances and the journal.
"""

from __future__ import annotations

import hashlib
import hmac
import importlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from infra import spec
from infra import token as tokens
from tests.contract.conftest import fund
from tests.local.conftest import Client, eventually

pytestmark = pytest.mark.slow

PACKAGE = "ledger_client"
GAME_SECRET = b"local-game-secret"


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    root = tmp_path_factory.mktemp("generated")
    config = root / "config.yaml"
    config.write_text("post_hooks: []\n", encoding="utf-8")
    done = subprocess.run(  # noqa: S603 (the locked generator on our own spec)
        [
            str(Path(sys.executable).parent / "openapi-python-client"),
            "generate",
            "--path",
            str(spec.SPEC),
            "--output-path",
            str(root / PACKAGE),
            "--meta",
            "none",
            "--config",
            str(config),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Warning" not in done.stdout, done.stdout
    sys.path.insert(0, str(root))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(root))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


def api(name: str) -> Any:
    return importlib.import_module(f"{PACKAGE}.api.{name}")


def test_a_generated_client_funds_chooses_plays_withdraws_and_reads_its_books(
    generated: ModuleType, client: Client
) -> None:
    models = importlib.import_module(f"{PACKAGE}.models")
    user = "generated-client"
    fund(client, user, cny=10_000, payments=0)
    typed = generated.AuthenticatedClient(
        base_url=client.url, token=tokens.issue(user), raise_on_unexpected_status=True
    )

    chosen = api("savings.post_choice_v1_stories_story_id_choices_post").sync_detailed(
        "first-date",
        client=typed,
        body=models.ChoiceBody(chapter=1, choice_id="flowers"),
        idempotency_key="c-1",
    )
    assert chosen.status_code == 201
    assert isinstance(chosen.parsed, models.ChoiceMade)
    assert (chosen.parsed.amount, chosen.parsed.progress.chapter) == (1990, 2)
    replay = api("savings.post_choice_v1_stories_story_id_choices_post").sync_detailed(
        "first-date",
        client=typed,
        body=models.ChoiceBody(chapter=1, choice_id="flowers"),
        idempotency_key="c-1",
    )
    assert replay.headers["Idempotent-Replayed"] == "true" and replay.parsed == chosen.parsed

    refused = api("savings.post_release_v1_purse_releases_post").sync_detailed(
        client=typed, body=models.ReleaseBody(amount=10**9), idempotency_key="r-1"
    )
    assert refused.status_code == 422
    assert isinstance(refused.parsed, models.Problem) and refused.parsed.type_ == "insufficient-funds"

    client.call("POST", "/_local/clock", {"now": "2030-03-01T02:00:00Z"})
    try:
        opened = api("games.post_session_v1_games_game_id_sessions_post").sync(
            "puzzle", client=typed, body=models.OpenSession(), idempotency_key="s-1"
        )
        assert isinstance(opened, models.SessionOpened)
        client.call("POST", "/_local/clock", {"now": "2030-03-01T02:01:00Z"})
        score, duration_ms = 900, 50_000
        message = f"{opened.session_id}:{score}:{duration_ms}".encode()
        signature = hmac.new(GAME_SECRET, message, hashlib.sha256).hexdigest()
        played = api("games.post_result_v1_games_sessions_session_id_result_post").sync(
            opened.session_id,
            client=typed,
            body=models.GameResult(score=score, duration_ms=duration_ms, signature=signature),
            idempotency_key="g-1",
            x_device_id="device-1",
        )
        assert isinstance(played, models.ResultRecorded)
        assert played.status == models.ResultRecordedStatus.CREDITED and played.granted > 0

        asked = api("withdrawals.post_withdrawal_v1_withdrawals_post").sync_detailed(
            client=typed, body=models.WithdrawalRequest(amount=played.granted), idempotency_key="w-1"
        )
        assert asked.status_code == 202 and isinstance(asked.parsed, models.WithdrawalAccepted)
        status = api("withdrawals.get_withdrawal_v1_withdrawals_withdrawal_id_get")
        done = eventually(
            lambda: status.sync(asked.parsed.withdrawal_id, client=typed), lambda w: w.status != "pending"
        )
        assert isinstance(done, models.Withdrawal) and done.status == models.WithdrawalStatus.COMPLETED
    finally:
        client.call("POST", "/_local/clock", {"now": None})

    balances = api("accounts.get_balances_v1_me_balances_get").sync(client=typed)
    assert isinstance(balances, models.Balances)
    books = {b.book: b.balance for b in balances.balances if b.asset == "CNY"}
    assert books == {"wallet": 10_000 - 1990 + played.granted, "purse": 1990, "cash": 0}

    page = api("accounts.get_journal_v1_me_journal_get").sync(
        client=typed, book=models.GetJournalV1MeJournalGetBook.WALLET, limit=10
    )
    assert isinstance(page, models.JournalPage)
    assert [(e.kind, e.amount, e.direction) for e in page.entries][-2:] == [
        ("savings.choice", 1990, models.JournalLineDirection.DEBIT),
        ("wallet.funded", 10_000, models.JournalLineDirection.CREDIT),
    ]

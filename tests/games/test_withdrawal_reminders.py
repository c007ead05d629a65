"""A withdrawal's outcome becomes the user's reminder (completed or rejected), once, whoever resolves it."""

from __future__ import annotations

import pytest

from infra.handlers import invoke
from reward_ledger.ledger import Ledger
from reward_ledger.reminders.models import Reminder, partition
from tests.conftest import Api
from tests.games.conftest import drain, patch_config, run_worker, withdrawal_message
from tests.games.test_withdrawals import earn, withdraw


def outcomes(user: str = "alice") -> list[tuple[str, str, str, dict]]:
    return [
        (r.reminder, r.subject, r.state, r.data)
        for r in Reminder.query(partition(user))
        if r.sk.startswith("R#")
    ]


@pytest.mark.parametrize(
    ("max_auto", "kind", "status"),
    [(100, "withdrawal-completed", "completed"), (10, "withdrawal-rejected", "rejected")],
)
def test_the_outcome_is_one_reminder_even_when_resolved_again(
    games_api: Api,
    withdrawals_api: Api,
    withdrawal_queue: str,
    games_ledger: Ledger,
    monkeypatch: pytest.MonkeyPatch,
    max_auto: int,
    kind: str,
    status: str,
) -> None:
    earn(games_api, 2)
    patch_config(monkeypatch, "risk", max_auto_amount=max_auto)
    _, body, _ = withdraw(withdrawals_api, 20)
    wid = body["withdrawal_id"]
    assert outcomes() == []  # pending: nothing to tell yet
    drain(withdrawal_queue)
    for delivery in range(3):
        assert run_worker([withdrawal_message(wid, delivery)]) == {"batchItemFailures": []}
    expected = [(kind, wid, "scheduled", {"withdrawal_id": wid, "amount": 20, "status": status})]
    assert outcomes() == expected
    invoke("ReminderFinderFunction", {})
    assert [o[2] for o in outcomes()] == ["sent"]

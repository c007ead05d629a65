"""Racing results of one user never pass the daily cap, and each session pays once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from reward_ledger.errors import DailyCapReached, LedgerError, RetriesExhausted
from reward_ledger.games import ResultInput, config, open_session, sign, submit_result
from reward_ledger.ledger import IdempotencyKey, Ledger, reconcile, user_account
from tests.games.conftest import SECRET, advance


def test_racing_results_are_clamped_to_the_cap_exactly(games_ledger: Ledger) -> None:
    cap = config().rewards.daily_cap
    sessions = [
        open_session("racer", "puzzle", IdempotencyKey("user:racer|open", f"s{i}")).session_id
        for i in range(24)
    ]
    advance(seconds=61)

    def submit(i: int) -> object:
        sid = sessions[i]
        result = ResultInput("racer", sid, 800, 60_000, sign(SECRET, sid, 800, 60_000), None, None)
        try:
            return submit_result(games_ledger, result, IdempotencyKey("user:racer|result", f"r{i}")).response
        except LedgerError as exc:
            return exc

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(submit, range(24)))
    paid = [o for o in outcomes if isinstance(o, dict)]
    refused = [o for o in outcomes if isinstance(o, DailyCapReached)]
    others = [o for o in outcomes if not isinstance(o, dict | DailyCapReached)]
    assert len(refused) + len(others) == 24 - len(paid) > 0
    # the rate rule holds some of them (more than 6 per minute); held or credited, the cap is exact
    assert sum(int(o["granted"]) for o in paid) == cap
    # a result that kept losing races gives up as a retryable 503, never as a wrong payment
    assert all(isinstance(o, RetriesExhausted) for o in others)
    assert all(o["granted"] <= o["requested"] for o in paid)
    cash = games_ledger.balance(user_account("racer", "cash", "CNY"))
    assert cash == sum(int(o["granted"]) for o in paid if o["status"] == "credited")
    assert reconcile().ok

"""Merchant programs: DynamoDB calls per points grant, challenge check-in and gift-card capture.

* ``points_grant_calls``: :func:`loyalty.earn` for a payment at a merchant with a program (warm: the
  program's terms are in the ledger's memo, checked by version in the one ``TransactWriteItems``).
* ``checkin_calls``: :func:`challenges.check_in` of a participant on a new local day (warm: the
  participant's terms kept; the check-in is one transaction).
* ``capture_calls``: :func:`giftcards.capture` at checkout (warm: the expected balance kept; one
  transaction, whose condition failure would give the true balance instead of a read).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from bench.common import calls_per_event, moto_ledger_table

EVENTS = 20


def run() -> dict[str, Any]:
    from reward_ledger import challenges, clock, giftcards, loyalty
    from reward_ledger.campaigns import merchants
    from reward_ledger.ledger import IdempotencyKey
    from reward_ledger.users import wallet_account
    from reward_ledger.wiring import PRODUCT

    with moto_ledger_table():
        ledger = PRODUCT.ledger(sleep=lambda _s: None)
        key = IdempotencyKey("bench", "programs")
        merchants.create_merchant(ledger, "m1", "Bench shop", "bench", key)
        body = loyalty.ProgramBody(earn_per_yuan=1, points_valid_days=30)
        loyalty.set_program(ledger, "m1", body, "bench", key.derive("p"))
        now = clock.now()
        loyalty.earn(ledger, "u0", "m1", 1_000, "warm", now)
        grant_calls = calls_per_event(
            lambda i: loyalty.earn(ledger, f"u{i}", "m1", 1_000, f"p{i}", now), EVENTS
        )

        spec = challenges.ChallengeBody.model_validate(
            {
                "challenge_id": "c1",
                "title": "bench",
                "days": EVENTS + 5,
                "checkin": {"event": "merchant.verified"},
            }
        )
        challenges.open_challenge(ledger, "m1", spec, "bench", key.derive("c"))
        start = datetime(2026, 11, 1, 4, tzinfo=UTC)
        clock.set_now(start)
        challenges.join(ledger, "c1", "runner", "Asia/Shanghai", key.derive("j"))
        challenges.check_in(ledger, "c1", "runner", start, "bench")  # warm: terms kept

        def check_in(i: int) -> Any:
            return challenges.check_in(ledger, "c1", "runner", start + timedelta(days=i + 1), "bench")

        checkin_calls = calls_per_event(check_in, EVENTS)
        clock.set_now(None)

        from bench.common import fund_book

        fund_book(ledger, "buyer", "wallet", 100_000)
        assert ledger.balance(wallet_account("buyer")) == 100_000
        card = giftcards.buy(ledger, "buyer", "m1", 50_000, key.derive("g")).response or {}

        def capture(i: int) -> Any:
            return giftcards.capture(
                ledger, "m1", card["card_id"], 100, f"o{i}", "bench", key.derive(f"cap{i}")
            )

        capture(EVENTS)  # warm: the balance kept
        capture_calls = calls_per_event(capture, EVENTS)
    return {
        "programs": {
            "points_grant_calls": grant_calls,
            "checkin_calls": checkin_calls,
            "capture_calls": capture_calls,
        }
    }


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))

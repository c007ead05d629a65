"""Expiry sweep figures: DynamoDB items touched per expired lot at two user counts, and calls per event.

For N users, a tenth get an oxygen lot through the real payment grant (ledger entry + lot item) that
expires at today's local midnight; the other nine tenths get lot items seeded with ``BatchWriteItem``
(half already collected, half open but due tomorrow), so the table grows with N while what expires is
N/10. The whole sweep (every (day, shard) job of the fan-out) then runs, and items read (returned by
queries and gets) plus items written (transaction items) are divided by the lots it expired.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.handlers import BUILTIN_HANDLERS

from bench.common import CALLS, calls_per_event, moto_ledger_table
from reward_ledger import clock, farm, forest, friends, payments
from reward_ledger.ledger import EntryRequest, IdempotencyKey, Ledger, Leg, expiry_for, external_account
from reward_ledger.wiring import PRODUCT

T0 = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai; local midnight is 16:00 UTC


class ItemCounter:
    """Items read (``Items``/``Item``/``Responses`` of answers) and written (``TransactItems``, batches)."""

    def __init__(self) -> None:
        self.active = False
        self.read = 0
        self.written = 0

    def before(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        if self.active:
            self.written += len(params.get("TransactItems", []))
            self.written += sum(
                len(v) for v in params.get("RequestItems", {}).values() if model.name != "BatchGetItem"
            )
            if model.name in ("PutItem", "UpdateItem", "DeleteItem"):
                self.written += 1

    def after(self, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        if self.active and isinstance(parsed, dict):
            self.read += len(parsed.get("Items", []))
            self.read += 1 if parsed.get("Item") else 0
            self.read += sum(len(v) for v in parsed.get("Responses", {}).values())


ITEMS = ItemCounter()
BUILTIN_HANDLERS.append(("before-parameter-build.dynamodb", ITEMS.before))
BUILTIN_HANDLERS.append(("after-call.dynamodb", ITEMS.after))


def _seed_bystanders(users: range, now: datetime) -> None:
    """Lot items of users whose lots do not expire today: seeded directly (no ledger money; inert)."""
    tomorrow = now + timedelta(days=1)
    with forest.Lot.batch_write() as batch:
        for i in users:
            user = f"u{i}"
            sk = f"LOT#20260311T160000Z-{i:016d}"
            lot = forest.Lot(
                pk=forest.partition(user),
                sk=sk,
                lot_id=sk[4:],
                owner=user,
                amount=5,
                stolen=0,
                ripe_at=clock.iso(now),
                deadline=clock.iso(tomorrow),
                pool_shard=0,
            )
            if i % 2:
                lot.state = "collected"
            else:
                expiry = expiry_for(f"{lot.pk}|{sk}", tomorrow, forest.LOT_KIND)
                lot.state, lot.exp_bucket, lot.expires_at, lot.exp_kind = (
                    "open",
                    expiry.bucket,
                    expiry.at,
                    expiry.kind,
                )
            batch.save(lot)


def _pay(ledger: Ledger, user: str, payment_id: str, category: str = "transit") -> Any:
    event = payments.PaymentCompleted(
        payment_id=payment_id,
        user_id=user,
        amount=100,
        category=category,
        occurred_at=clock.now(),
        time_zone="Asia/Shanghai",
    )
    return payments.grant(ledger, event)


def _sweep_size(users: int) -> dict[str, Any]:
    with moto_ledger_table():
        clock.set_now(T0)
        ledger = PRODUCT.ledger()
        started = time.perf_counter()
        expiring = users // 10
        for i in range(expiring):
            _pay(ledger, f"u{i}", f"p{i}")
        _seed_bystanders(range(expiring, users), T0)
        seeded = time.perf_counter() - started

        clock.set_now(T0 + timedelta(hours=15))
        ITEMS.read = ITEMS.written = 0
        ITEMS.active = True
        started = time.perf_counter()
        with CALLS.measure():
            expired = PRODUCT.sweeper(ledger).sweep_all()
        swept = time.perf_counter() - started
        ITEMS.active = False
        calls = CALLS.total
        assert expired == expiring, (expired, expiring)
        clock.set_now(None)
        return {
            "users": users,
            "expired_lots": expired,
            "items_read": ITEMS.read,
            "items_written": ITEMS.written,
            "expiry_items_touched_per_expired": round((ITEMS.read + ITEMS.written) / expired, 3),
            "ddb_calls": calls,
            "ddb_calls_per_expired": round(calls / expired, 3),
            "seed_seconds": round(seeded, 1),
            "sweep_seconds": round(swept, 2),
        }


def _calls_per_event() -> dict[str, float]:
    with moto_ledger_table():
        clock.set_now(T0)
        ledger = PRODUCT.ledger()
        events = 20
        friends.befriend("owner", "thief")
        friends.befriend("thief", "owner")
        for i in range(events):
            friends.befriend(f"c{i}", "owner")
            friends.befriend("owner", f"c{i}")
        lots = [_pay(ledger, "owner", f"o{i}").response["lot_id"] for i in range(events)]
        collectable = [_pay(ledger, f"c{i}", f"c{i}").response["lot_id"] for i in range(events)]
        for i in range(events):
            _pay(ledger, f"q{i}", f"q{i}")
        grant = calls_per_event(lambda i: _pay(ledger, f"g{i}", f"g{i}"), events)
        clock.set_now(T0 + timedelta(hours=2))
        steal = calls_per_event(
            lambda i: forest.steal(ledger, "thief", "owner", lots[i], IdempotencyKey("b", f"s{i}")), events
        )
        collect = calls_per_event(  # with the lot ids GET /v1/forest listed
            lambda i: forest.collect(ledger, f"c{i}", IdempotencyKey("b", f"c{i}"), None, [collectable[i]]),
            events,
        )
        collect_without_ids = calls_per_event(
            lambda i: forest.collect(ledger, f"q{i}", IdempotencyKey("b", f"q{i}")), events
        )
        issuer = external_account("bench", "EGG")
        for i in range(events):
            user = f"d{i}"
            ledger.transfer(
                EntryRequest(
                    idempotency=IdempotencyKey("b", f"eggs{i}"),
                    kind="bench",
                    legs=[Leg(issuer, farm.eggs_account(user), 5)],
                )
            )
        donate = calls_per_event(
            lambda i: farm.donate(ledger, f"d{i}", "school-lunch", 1, IdempotencyKey("b", f"d{i}")), events
        )
        for i in range(events):
            _pay(ledger, f"f{i}", f"f{i}", "offline")
        feed = calls_per_event(  # a new chicken, or one whose last meal was counted (as GET /v1/farm does)
            lambda i: farm.feed(ledger, f"f{i}", f"f{i}", IdempotencyKey("b", f"f{i}")), events
        )
        clock.set_now(T0 + timedelta(hours=8))  # every meal over, none counted yet
        for i in range(events):
            _pay(ledger, f"f{i}", f"f2-{i}", "offline")
        feed_after_meal = calls_per_event(
            lambda i: farm.feed(ledger, f"f{i}", f"f{i}", IdempotencyKey("b", f"f2-{i}")), events
        )
        clock.set_now(None)
        return {
            "payment_grant": grant,
            "forest_collect": collect,
            "forest_collect_without_ids": collect_without_ids,
            "forest_steal": steal,
            "farm_feed": feed,
            "farm_feed_after_uncounted_meal": feed_after_meal,
            "farm_donate": donate,
        }


def _sizes() -> tuple[int, int]:
    """``BENCH_EXPIRY_USERS=small,large`` (default 2000,20000; the large run is most of make bench's time)."""
    small, large = (int(n) for n in os.environ.get("BENCH_EXPIRY_USERS", "2000,20000").split(","))
    return small, large


def run() -> dict[str, Any]:
    small_users, large_users = _sizes()
    small = _sweep_size(small_users)
    large = _sweep_size(large_users)
    per_event = _calls_per_event()
    per_event["expiry_per_expired_lot"] = large["ddb_calls_per_expired"]
    return {
        "expiry": {
            f"users_{small_users}": small,
            f"users_{large_users}": large,
            "expiry_items_touched_per_expired": {
                f"users_{small_users}": small["expiry_items_touched_per_expired"],
                f"users_{large_users}": large["expiry_items_touched_per_expired"],
                "target_max": 3,
            },
            "seeding": "expiring users through the payment grant; the other 90 % as lot items by BatchWriteItem",
        },
        "ddb_calls_per_event": per_event,
    }


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2, sort_keys=True))

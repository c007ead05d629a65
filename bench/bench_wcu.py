"""Write capacity units per event, from the sizes of the items each event writes (DynamoDB's rules).

``WriteMeter`` is a pair of botocore hooks. ``before-call`` reads the serialised request (``params["body"]``)
of every write (``TransactWriteItems``, ``PutItem``, ``UpdateItem``, ``DeleteItem``, ``BatchWriteItem``)
and notes each item it writes, with that item's size before the call; ``after-call`` reads the size after.
Both images come straight from moto's in-process backend, which is not a DynamoDB call and is not counted.

DynamoDB's rules, as applied here:

* an item's size is the sum of its attribute names' UTF-8 lengths and its values' sizes: strings their
  UTF-8 length, numbers 1 byte per two significant digits plus 1, binary its length, booleans and nulls
  1 byte, lists and maps 3 bytes plus 1 byte and the size of each element (a map's keys count as names),
  sets the sum of their elements;
* a standard write costs ``ceil(size / 1 KB)`` WCU per item (at least 1), where the size is the larger of
  the item before and after the write (an ``UpdateItem`` pays for the whole item, not just what changed);
* a transactional write costs twice that, for every item of the transaction, ``ConditionCheck`` included;
* a failed call (a cancelled transaction, a failed condition) is counted apart, in ``failed_calls``; the
  happy-path figures below never contain one.

``run()`` sends 20 of each event type through the domain functions on moto (the handlers add no
DynamoDB call) and reports, per event, calls, items written, bytes and WCU. Expiry is per expired lot of
one whole sweep (every (day, shard) job) over ``BENCH_WCU_EXPIRING_LOTS`` uncollected lots (default 200,
plus the 20 stolen-from lots of the steal events), so the sweep's batching (up to 90 lots per entry) shows.
"""

from __future__ import annotations

import base64
import json
import math
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.handlers import BUILTIN_HANDLERS

from bench.common import CALLS, fund_book, moto_ledger_table

WRITE_OPS = frozenset({"TransactWriteItems", "PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem"})
KB = 1024
EVENTS = 20
EXPIRING_LOTS = int(os.environ.get("BENCH_WCU_EXPIRING_LOTS", "200"))


# ------------------------------------------------------------------------------ sizes (DynamoDB rules)


def number_size(text: str) -> int:
    digits = text.lstrip("+-").lower().split("e")[0].replace(".", "").lstrip("0").rstrip("0")
    return (len(digits) + 1) // 2 + 1


def value_size(value: dict[str, Any]) -> int:
    ((kind, inner),) = value.items()
    if kind == "S":
        return len(str(inner).encode("utf-8"))
    if kind == "N":
        return number_size(str(inner))
    if kind == "B":
        return len(base64.b64decode(inner)) if isinstance(inner, str) else len(inner)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(s.encode("utf-8")) for s in inner)
    if kind == "NS":
        return sum(number_size(str(n)) for n in inner)
    if kind == "BS":
        return sum(len(base64.b64decode(b)) if isinstance(b, str) else len(b) for b in inner)
    if kind == "L":
        return 3 + sum(1 + value_size(v) for v in inner)
    if kind == "M":
        return 3 + sum(1 + len(k.encode("utf-8")) + value_size(v) for k, v in inner.items())
    raise ValueError(f"unknown DynamoDB type {kind!r}")


def item_size(item: dict[str, Any] | None) -> int:
    return sum(len(name.encode("utf-8")) + value_size(value) for name, value in (item or {}).items())


def write_units(size: int, *, transactional: bool) -> int:
    return max(1, math.ceil(size / KB)) * (2 if transactional else 1)


# ------------------------------------------------------------------------------ moto's stored items


def _table(name: str) -> Any:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    return dynamodb_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].get_table(name)


def _plain(value: Any) -> Any:
    """moto's stored value (DynamoType, possibly nested) as DynamoDB JSON."""
    kind, inner = value.type, value.value
    if kind == "L":
        return {"L": [_plain(v) for v in inner]}
    if kind == "M":
        return {"M": {k: _plain(v) for k, v in inner.items()}}
    return {kind: inner}


def stored_item(table_name: str, key: dict[str, Any]) -> dict[str, Any] | None:
    from moto.dynamodb.models.dynamo_type import DynamoType

    table = _table(table_name)
    hash_key = DynamoType(key[table.hash_key_attr])
    range_key = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
    try:
        found = table.get_item(hash_key, range_key)
    except KeyError:
        return None
    if found is None:
        return None
    return {name: _plain(value) for name, value in found.attrs.items()}


def _key_of(table_name: str, item: dict[str, Any]) -> dict[str, Any]:
    table = _table(table_name)
    names = [table.hash_key_attr] + ([table.range_key_attr] if table.range_key_attr else [])
    return {name: item[name] for name in names}


# ------------------------------------------------------------------------------ the meter


# the hash keys of the table's sparse GSIs (HistoryIndex, ExpiryIndex): an item holding one is in that index
GSI_KEYS = {"hist_pk": "HistoryIndex", "exp_bucket": "ExpiryIndex"}


@dataclass
class WriteMeter:
    """WCU of the writes made while ``active`` (see the module docstring for the rules)."""

    active: bool = False
    wcu: int = 0
    items: int = 0
    bytes: int = 0
    failed_calls: int = 0
    gsi_wcu: int = 0  # index writes: an item entering, changing in or leaving a sparse GSI (one per index)
    gsi_writes: int = 0
    gsi_by_index: dict[str, int] = field(default_factory=dict)
    by_operation: dict[str, int] = field(default_factory=dict)
    _pending: list[tuple[str, dict[str, Any], bool, dict[str, Any] | None]] = field(default_factory=list)
    _operation: str = ""

    def before(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        self._pending = []
        if not self.active or model.name not in WRITE_OPS:
            return
        body = json.loads(params.get("body") or b"{}")
        targets: list[tuple[str, dict[str, Any], bool]] = []
        if model.name == "TransactWriteItems":
            for entry in body.get("TransactItems", []):
                for action in entry.values():
                    table = action["TableName"]
                    key = action.get("Key") or _key_of(table, action["Item"])
                    targets.append((table, key, True))
        elif model.name == "BatchWriteItem":
            for table, requests in body.get("RequestItems", {}).items():
                for request in requests:
                    if "PutRequest" in request:
                        targets.append((table, _key_of(table, request["PutRequest"]["Item"]), False))
                    else:
                        targets.append((table, request["DeleteRequest"]["Key"], False))
        else:
            table = body["TableName"]
            targets.append((table, body.get("Key") or _key_of(table, body["Item"]), False))
        self._operation = model.name
        self._pending = [(table, key, tx, stored_item(table, key)) for table, key, tx in targets]

    def after(self, http_response: Any, **_: Any) -> None:
        pending, self._pending = self._pending, []
        if not pending:
            return
        if getattr(http_response, "status_code", 200) != 200:
            self.failed_calls += 1
            return
        for table, key, transactional, old in pending:
            new = stored_item(table, key)
            size = max(item_size(old), item_size(new))
            units = write_units(size, transactional=transactional)
            for index_key in GSI_KEYS:
                if index_key in (old or {}) or index_key in (new or {}):
                    self.gsi_writes += 1
                    self.gsi_by_index[GSI_KEYS[index_key]] = self.gsi_by_index.get(GSI_KEYS[index_key], 0) + 1
                    self.gsi_wcu += write_units(size, transactional=False)  # ALL projection: the whole item
            self.wcu += units
            self.items += 1
            self.bytes += size
            self.by_operation[self._operation] = self.by_operation.get(self._operation, 0) + units

    def reset(self) -> None:
        self.wcu = self.items = self.bytes = self.failed_calls = self.gsi_wcu = self.gsi_writes = 0
        self.by_operation = {}
        self.gsi_by_index = {}
        self._pending = []

    @contextmanager
    def measure(self) -> Iterator[WriteMeter]:
        self.reset()
        self.active = True
        try:
            yield self
        finally:
            self.active = False


METER = WriteMeter()
BUILTIN_HANDLERS.append(("before-call.dynamodb", METER.before))
BUILTIN_HANDLERS.append(("after-call.dynamodb", METER.after))


def measure(action: Callable[[int], Any], events: int | None = None) -> dict[str, Any]:
    """Run ``action(i)`` for i < events (default ``EVENTS``); calls, items written, bytes, WCU per event."""
    events = events or EVENTS
    with CALLS.measure(), METER.measure():
        for i in range(events):
            action(i)
    assert METER.failed_calls == 0, f"{METER.failed_calls} failed write calls on a happy path"
    return {
        "calls": round(CALLS.total / events, 3),
        "items_written": round(METER.items / events, 3),
        "bytes_written": round(METER.bytes / events, 1),
        "wcu": round(METER.wcu / events, 3),
        "gsi_writes": round(METER.gsi_writes / events, 3),
        "gsi_wcu": round(METER.gsi_wcu / events, 3),
        "gsi_writes_by_index": {i: round(n / events, 3) for i, n in sorted(METER.gsi_by_index.items())},
        "wcu_by_operation": {
            op: round(units / events, 3) for op, units in sorted(METER.by_operation.items())
        },
    }


# ------------------------------------------------------------------------------ the design's events

T0 = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai; local midnight is 16:00 UTC


def _scope(user: str, route: str) -> str:
    return f"user:{user}|{route}"


def design_events() -> dict[str, dict[str, Any]]:
    """The seven event types of the issue, each through its domain function, 20 times."""
    from bench.bench_expiry import _pay
    from reward_ledger import clock, farm, forest, friends, runtime, savings, sweep
    from reward_ledger.games import ResultInput, open_session, request_withdrawal, seed_budgets, sign
    from reward_ledger.ledger import EntryRequest, IdempotencyKey, Leg, external_account
    from reward_ledger.wiring import PRODUCT

    out: dict[str, dict[str, Any]] = {}
    with moto_ledger_table():
        clock.set_now(T0)
        runtime.new_environment()
        try:
            ledger = PRODUCT.ledger()

            # choice: chapter 1 of the first story, wallet -> purse, progress and summary guards
            for i in range(EVENTS):
                fund_book(ledger, f"saver{i}", "wallet", 100_000)
            story = savings.catalog().story("first-date")
            choice_id = story.chapters[0].choices[0].choice_id
            route = "POST /v1/stories/{story_id}/choices"
            out["choice"] = measure(
                lambda i: savings.choose(
                    ledger,
                    f"saver{i}",
                    story.story_id,
                    1,
                    choice_id,
                    IdempotencyKey(
                        _scope(f"saver{i}", route),
                        f"choice-{i}",
                        {
                            "path": {"story_id": story.story_id},
                            "body": {"chapter": 1, "choice_id": choice_id},
                        },
                    ),
                )
            )

            # game result: an open session, signed result, house budget -> cash under the daily cap
            seed_budgets(ledger, house=10**7, tag="bench")
            secret = b"local-game-secret"
            sessions = [
                open_session(
                    f"player{i}", "puzzle", IdempotencyKey(_scope(f"player{i}", "open"), "s")
                ).session_id
                for i in range(EVENTS)
            ]
            clock.set_now(T0 + timedelta(seconds=31))
            route = "POST /v1/games/sessions/{session_id}/result"

            def result(i: int) -> Any:
                sid, score, ms = sessions[i], 500, 30_000
                found = ResultInput(
                    f"player{i}", sid, score, ms, sign(secret, sid, score, ms), f"dev-{i}", None
                )
                body = {"score": score, "duration_ms": ms, "signature": found.signature}
                idem = IdempotencyKey(
                    _scope(f"player{i}", route), f"r-{i}", {"path": {"session_id": sid}, "body": body}
                )
                from reward_ledger.games import submit_result

                return submit_result(ledger, found, idem)

            out["game_result"] = measure(result)

            # withdrawal request: a two-phase hold cash -> hold under the daily withdrawal limit
            for i in range(EVENTS):
                fund_book(ledger, f"player{i}", "cash", 1_000)
            route = "POST /v1/withdrawals"
            out["withdrawal"] = measure(
                lambda i: request_withdrawal(
                    ledger,
                    f"player{i}",
                    100,
                    IdempotencyKey(
                        _scope(f"player{i}", route), f"w-{i}", {"path": {}, "body": {"amount": 100}}
                    ),
                )
            )

            # forest and farm: as in bench_expiry's calls per event
            friends.befriend("owner", "thief")
            friends.befriend("thief", "owner")
            lots = [_pay(ledger, "owner", f"o{i}").response["lot_id"] for i in range(EVENTS)]
            for i in range(EVENTS):
                _pay(ledger, f"c{i}", f"c{i}")
            clock.set_now(T0 + timedelta(hours=2))
            out["steal"] = measure(
                lambda i: forest.steal(ledger, "thief", "owner", lots[i], IdempotencyKey("b", f"s{i}"))
            )
            out["collect"] = measure(lambda i: forest.collect(ledger, f"c{i}", IdempotencyKey("b", f"c{i}")))
            egg = external_account("bench", "EGG")
            for i in range(EVENTS):
                ledger.transfer(
                    EntryRequest(
                        idempotency=IdempotencyKey("b", f"eggs{i}"),
                        kind="bench",
                        legs=[Leg(egg, farm.eggs_account(f"d{i}"), 5)],
                    )
                )
            out["donate"] = measure(
                lambda i: farm.donate(ledger, f"d{i}", "school-lunch", 1, IdempotencyKey("b", f"d{i}"))
            )

            # expiry: lots granted today and never collected, swept after local midnight; per expired lot
            for i in range(EXPIRING_LOTS):
                _pay(ledger, f"x{i}", f"x{i}")
            clock.set_now(T0 + timedelta(hours=15))
            expired = 0

            def sweep_all(_: int) -> None:
                nonlocal expired
                expired += PRODUCT.sweeper(ledger).sweep_all()

            swept = measure(sweep_all, 1)
            assert expired > 0
            out["expiry"] = {
                "calls": round(swept["calls"] / expired, 3),
                "items_written": round(swept["items_written"] / expired, 3),
                "bytes_written": round(swept["bytes_written"] / expired, 1),
                "wcu": round(swept["wcu"] / expired, 3),
                "gsi_writes": round(swept["gsi_writes"] / expired, 3),
                "gsi_wcu": round(swept["gsi_wcu"] / expired, 3),
                "gsi_writes_by_index": {
                    i: round(n / expired, 3) for i, n in swept["gsi_writes_by_index"].items()
                },
                "wcu_by_operation": {
                    op: round(u / expired, 3) for op, u in swept["wcu_by_operation"].items()
                },
                "expired_lots": expired,
                "sweep_jobs": len(sweep.jobs_for()),
            }
        finally:
            clock.set_now(None)
            CALLS.reset()
    return out


def run() -> dict[str, Any]:
    events = design_events()
    return {
        "wcu_per_event": {name: figures["wcu"] for name, figures in events.items()},
        "write_cost_per_event": events,
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2, sort_keys=True))

"""The design against the textbook alternative, side by side, on the same moto backend in one run.

The textbook alternative is what a team typically builds for an exactly-once reward API on Lambda: the
Powertools idempotency utility (``@idempotent_function`` with a ``DynamoDBPersistenceLayer`` on its own
idempotency table, ``id`` as hash key, the documented schema) around a handler that then writes the
business change with its own ``TransactWriteItems`` through boto3: balance updates with conditions, the
feature's guard items and a journal put. It writes the same business items as the design (same balances,
guards, journal and history rows), so the difference measured is the idempotency mechanism:

* textbook, happy path: ``PutItem`` of the idempotency record (status ``INPROGRESS``, conditional), the
  ``TransactWriteItems``, then ``UpdateItem`` of the record (status ``COMPLETED`` and the response);
* textbook, duplicate: the conditional ``PutItem`` fails and returns the stored record (Powertools asks for
  ``ReturnValuesOnConditionCheckFailure=ALL_OLD``), so a replay is one call;
* design: one ``TransactWriteItems`` whose journal header is the idempotency record (the replay is the
  header's ``ALL_OLD`` image from the same call).

Six event types go through both: ``choice`` (wallet -> purse, chapter guard, summary), ``game_result``
(house budget -> cash, session, daily cap, rate and device guards), ``withdrawal`` (cash ->
hold under a daily limit), ``collect`` (the ripe lots GET /v1/forest listed -> energy, each lot guarded;
with the ids neither side reads first), ``steal`` (a share of a friend's ripe lot -> the thief's energy: friendship check, lot
guard and once-per-(lot, thief) marker; no read on either side, the lot id carries amount and shard) and
``donate`` (eggs -> a charity pool: project target guard and the chicken's FIFO cursor). Expiry has no
textbook counterpart: a sweep has no client request and no Idempotency-Key for Powertools to wrap (its
exactly-once comes from each lot's guard on both sides), see docs/benchmarks.md. Per event type and side: DynamoDB calls per happy event and per replayed
duplicate (botocore hook), WCU per happy event (``bench_wcu``'s meter) and events per second (time spent
inside the event calls only; setup is not timed) and the client's CPU per event (``client_cpu_ms``: the
domain, PynamoDB and botocore, without moto's own request handling). ``BENCH_TEXTBOOK_EVENTS`` sets the events per type
(default 100).
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import boto3
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)

from bench.bench_expiry import _pay
from bench.bench_wcu import METER
from bench.common import BACKEND, CALLS, fund_book, moto_ledger_table
from infra.handlers import LocalContext
from reward_ledger import charity, clock, farm, forest, friends, payments, runtime, savings
from reward_ledger.games import (
    ResultInput,
    config,
    open_session,
    request_withdrawal,
    seed_budgets,
    sign,
    submit_result,
)
from reward_ledger.games.sessions import game_of, verify_signature
from reward_ledger.ledger import (
    IdempotencyKey,
    external_account,
    user_account,
)
from reward_ledger.wiring import PRODUCT

T0 = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
SECRET = b"local-game-secret"
IDEMPOTENCY_TABLE = "TextbookIdempotencyTable"
TEXTBOOK_TABLE = "TextbookLedgerTable"
EVENT_TYPES = ("choice", "game_result", "withdrawal", "collect", "steal", "donate")
Action = Callable[[int], Any]


def _events() -> int:
    return int(os.environ.get("BENCH_TEXTBOOK_EVENTS", "100"))


# ------------------------------------------------------------------------------ the textbook handler


def _n(value: int) -> dict[str, str]:
    return {"N": str(value)}


def _s(value: str) -> dict[str, str]:
    return {"S": value}


def _compact(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


class Textbook:
    """Powertools idempotency around a boto3 ``TransactWriteItems`` per request."""

    def __init__(self, client: Any) -> None:
        self.client = client
        persistence = DynamoDBPersistenceLayer(table_name=IDEMPOTENCY_TABLE, boto3_client=client)
        idem_config = IdempotencyConfig(
            event_key_jmespath="[user_id, route, key]",  # the Idempotency-Key, scoped per user and route
            payload_validation_jmespath="body",  # same key, other body: IdempotencyValidationError (409)
            expires_after_seconds=3600,
        )
        idem_config.register_lambda_context(cast(Any, LocalContext(function_name="TextbookFunction")))

        def wrap(handler: Callable[[dict[str, Any]], dict[str, Any]]) -> Callable[..., dict[str, Any]]:
            wrapped: Callable[..., dict[str, Any]] = idempotent_function(
                data_keyword_argument="request", config=idem_config, persistence_store=persistence
            )(handler)
            return wrapped

        self.choice = wrap(self._choice)
        self.game_result = wrap(self._game_result)
        self.withdrawal = wrap(self._withdrawal)
        self.collect = wrap(self._collect)
        self.steal = wrap(self._steal)
        self.donate = wrap(self._donate)

    # the same business items as the design, written the usual way

    def _balance(self, account: str, delta: int, *, guarded: bool) -> dict[str, Any]:
        update: dict[str, Any] = {
            "TableName": TEXTBOOK_TABLE,
            "Key": {"pk": _s(f"BAL#{account}"), "sk": _s("BAL")},
            "UpdateExpression": "ADD balance :delta SET updated_at = :now",
            "ExpressionAttributeValues": {":delta": _n(delta), ":now": _s(clock.iso(clock.now()))},
        }
        if guarded:
            update["ConditionExpression"] = "balance >= :need"
            update["ExpressionAttributeValues"][":need"] = _n(-delta)
        return {"Update": update}

    def _journal(
        self,
        entry_id: str,
        kind: str,
        legs: list[tuple[str, str, int]],
        metadata: dict[str, Any],
        hist: str | None = None,
        **extra: Any,
    ) -> list[dict[str, Any]]:
        now = clock.iso(clock.now())
        postings = {
            "L": [
                {"M": {"debit": _s(debit), "credit": _s(credit), "amount": _n(amount)}}
                for debit, credit, amount in legs
            ]
        }
        item = {
            "pk": _s(f"ENTRY#{entry_id}"),
            "sk": _s("ENTRY"),
            "kind": _s(kind),
            "created_at": _s(now),
            "postings": postings,
            "metadata": _s(json.dumps(metadata, sort_keys=True)),
            "hist_pk": _s(hist or legs[0][0]),  # the first user account, as the design's header
            "hist_sk": _s(f"{now}#{entry_id}"),
            **{k: _s(str(v)) for k, v in extra.items()},
        }
        return [
            {
                "Put": {
                    "TableName": TEXTBOOK_TABLE,
                    "Item": item,
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            }
        ]

    def _history(self, entry_id: str, account: str, amount: int, direction: str) -> dict[str, Any]:
        now = clock.iso(clock.now())
        return {
            "Put": {
                "TableName": TEXTBOOK_TABLE,
                "Item": {
                    "pk": _s(f"ENTRY#{entry_id}"),
                    "sk": _s(f"HIST#{account}"),
                    "hist_pk": _s(account),
                    "hist_sk": _s(f"{now}#{entry_id}"),
                    "amount": _n(amount),
                    "direction": _s(direction),
                },
            }
        }

    def _guard(
        self,
        pk: str,
        sk: str,
        update: str,
        condition: str | None,
        values: dict[str, Any],
        names: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        action: dict[str, Any] = {
            "TableName": TEXTBOOK_TABLE,
            "Key": {"pk": _s(pk), "sk": _s(sk)},
            "UpdateExpression": update,
            "ExpressionAttributeValues": values,
        }
        if condition:
            action["ConditionExpression"] = condition
        if names:
            action["ExpressionAttributeNames"] = names
        return {"Update": action}

    def _check(self, pk: str, sk: str, condition: str, values: dict[str, Any]) -> dict[str, Any]:
        return {
            "ConditionCheck": {
                "TableName": TEXTBOOK_TABLE,
                "Key": {"pk": _s(pk), "sk": _s(sk)},
                "ConditionExpression": condition,
                "ExpressionAttributeValues": values,
            }
        }

    def _new(self, item: dict[str, Any]) -> dict[str, Any]:
        return {
            "Put": {
                "TableName": TEXTBOOK_TABLE,
                "Item": item,
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }

    def _choice(self, request: dict[str, Any]) -> dict[str, Any]:
        user, body = request["user_id"], request["body"]
        story = savings.catalog().story(body["story_id"])
        chapter = int(body["chapter"])
        scene = story.chapter(chapter)
        assert scene is not None
        amount = next(c.amount for c in scene.choices if c.choice_id == body["choice_id"])
        wallet, purse = str(user_account(user, "wallet", "CNY")), str(user_account(user, "purse", "CNY"))
        now, day = clock.iso(clock.now()), clock.local_day(clock.now(), None).isoformat()
        entry_id = uuid.uuid4().hex
        self.client.transact_write_items(
            TransactItems=[
                self._balance(wallet, -amount, guarded=True),
                self._balance(purse, amount, guarded=False),
                *self._journal(entry_id, "savings.choice", [(wallet, purse, amount)], dict(body)),
                self._history(entry_id, purse, amount, "credit"),
                self._guard(
                    f"SAVINGS#{user}",
                    f"STORY#{story.story_id}",
                    "SET chapter = :next, user_id = :u, story_id = :story, updated_at = :now,"
                    " picks = list_append(if_not_exists(picks, :none), :pick),"
                    " started_at = if_not_exists(started_at, :now) ADD saved :amount",
                    "attribute_not_exists(chapter) OR chapter = :chapter",
                    {
                        ":next": _n(chapter + 1),
                        ":chapter": _n(chapter),
                        ":u": _s(user),
                        ":story": _s(story.story_id),
                        ":now": _s(now),
                        ":none": {"L": []},
                        ":pick": {"L": [_s(body["choice_id"])]},
                        ":amount": _n(amount),
                    },
                ),
                self._guard(
                    f"SAVINGS#{user}",
                    "SUMMARY",
                    "SET user_id = :u, updated_at = :now ADD saved :amount, choices :one, save_days :day",
                    "attribute_not_exists(pk) OR attribute_exists(pk)",
                    {
                        ":u": _s(user),
                        ":now": _s(now),
                        ":amount": _n(amount),
                        ":one": _n(1),
                        ":day": {"SS": [day]},
                    },
                ),
            ]
        )
        return {"entry_id": entry_id, "amount": amount, "progress": {"chapter": chapter + 1}}

    def _game_result(self, request: dict[str, Any]) -> dict[str, Any]:
        user, body = request["user_id"], request["body"]
        session_id, score, duration_ms = request["session_id"], body["score"], body["duration_ms"]
        found = game_of(session_id)
        verify_signature(found, session_id, score, duration_ms, body["signature"])
        settings = config()
        base = found.reward_for(score)
        cash = str(user_account(user, "cash", "CNY"))
        house = str(settings.rewards.house)
        now = clock.now()
        day, minute = clock.local_day(now, None).isoformat(), str(int(now.timestamp()) // 60)
        entry_id = uuid.uuid4().hex
        metadata = {
            "game_id": found.game_id,
            "session_id": session_id,
            "score": score,
            "duration_ms": duration_ms,
        }
        self.client.transact_write_items(
            TransactItems=[
                self._balance(house, -base, guarded=True),
                self._balance(cash, base, guarded=False),
                *self._journal(
                    entry_id,
                    "games.result",
                    [(house, cash, base)],
                    metadata,
                    hist=cash,
                ),
                self._guard(
                    f"GSESSION#{session_id}",
                    "SESSION",
                    "SET #state = :closed, closed_by = :entry",
                    "#state = :open AND user_id = :u",
                    {":closed": _s("closed"), ":open": _s("open"), ":u": _s(user), ":entry": _s(entry_id)},
                    {"#state": "state"},
                ),
                self._guard(
                    f"GDAY#{user}",
                    day,
                    "ADD earned :g, played_ms :ms, results :one",
                    "attribute_not_exists(earned) OR earned <= :room",
                    {
                        ":g": _n(base),
                        ":ms": _n(duration_ms),
                        ":one": _n(1),
                        ":room": _n(settings.rewards.daily_cap - base),
                    },
                ),
                self._guard(
                    f"GRATE#{user}",
                    minute,
                    "ADD results :one",
                    "attribute_not_exists(results) OR results < :limit",
                    {":one": _n(1), ":limit": _n(30)},
                ),
                self._guard(
                    f"GDEVICE#{request['device_id']}",
                    "DEVICE",
                    "ADD accounts :me",
                    "attribute_not_exists(accounts) OR contains(accounts, :user) OR size(accounts) < :most",
                    {":me": {"SS": [user]}, ":user": _s(user), ":most": _n(3)},
                ),
            ]
        )
        return {
            "entry_id": entry_id,
            "status": "credited",
            "requested": base,
            "granted": base,
        }

    def _withdrawal(self, request: dict[str, Any]) -> dict[str, Any]:
        user, amount = request["user_id"], int(request["body"]["amount"])
        cash, hold = str(user_account(user, "cash", "CNY")), "system/hold/CNY"
        now = clock.now()
        limit = config().withdrawals.daily_limit
        entry_id = uuid.uuid4().hex
        timeout = clock.iso(now + timedelta(hours=config().withdrawals.pending_timeout_hours))
        self.client.transact_write_items(
            TransactItems=[
                self._balance(cash, -amount, guarded=True),
                self._balance(hold, amount, guarded=False),
                *self._journal(
                    entry_id,
                    "games.withdrawal",
                    [(cash, hold, amount)],
                    {"user_id": user, "amount": amount},
                    state="pending",
                    expires_at=timeout,
                    on_timeout="void",
                ),
                self._guard(
                    f"GWDAY#{user}",
                    clock.local_day(now, None).isoformat(),
                    "ADD amount :a",
                    "attribute_not_exists(amount) OR amount <= :room",
                    {":a": _n(amount), ":room": _n(limit - amount)},
                ),
            ]
        )
        return {"withdrawal_id": entry_id, "status": "pending"}

    def _ripe_lots(self, user: str, now: datetime) -> list[dict[str, Any]]:
        """The read the handler needs first, as the design's: the user's lots still due (paginated)."""
        now_iso = clock.iso(now)
        lots: list[dict[str, Any]] = []
        query: dict[str, Any] = {
            "TableName": TEXTBOOK_TABLE,
            "KeyConditionExpression": "pk = :pk AND sk > :due",
            "ExpressionAttributeValues": {":pk": _s(f"FOREST#{user}"), ":due": _s(f"LOT#{_compact(now)}")},
            "ConsistentRead": True,
        }
        while True:
            page = self.client.query(**query)
            lots.extend(
                lot
                for lot in page.get("Items", [])
                if lot["sk"]["S"].startswith("LOT#")
                and lot["state"]["S"] == "open"
                and lot["ripe_at"]["S"] <= now_iso < lot["deadline"]["S"]
                and int(lot["amount"]["N"]) > int(lot["stolen"]["N"])
            )
            if "LastEvaluatedKey" not in page:
                break
            query["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        lots.sort(key=lambda lot: str(lot["deadline"]["S"]))
        return lots[: forest.settings().lots.max_lots_per_collect]

    @staticmethod
    def _listed_lots(user: str, lot_ids: list[str]) -> list[dict[str, Any]]:
        """The lots as their ids describe them (amount in the id, nothing stolen), as the design assumes."""
        return [
            {
                "pk": _s(f"FOREST#{user}"),
                "sk": _s(f"LOT#{lot_id}"),
                "lot_id": _s(lot_id),
                "amount": _n(int(lot_id.rsplit("-", 2)[1])),
                "stolen": _n(0),
            }
            for lot_id in lot_ids
        ]

    def _collect(self, request: dict[str, Any]) -> dict[str, Any]:
        user = request["user_id"]
        now = clock.now()
        now_iso = clock.iso(now)
        listed = request["body"].get("lot_ids")
        lots = self._listed_lots(user, listed) if listed is not None else self._ripe_lots(user, now)
        pool, energy = str(forest.LOT_POOL), str(forest.energy(user))
        grams = [(lot, int(lot["amount"]["N"]) - int(lot["stolen"]["N"])) for lot in lots]
        total = sum(g for _, g in grams)
        entry_id = uuid.uuid4().hex
        ttl = int((now + timedelta(days=forest.settings().lots.settled_ttl_days)).timestamp())
        balances = [self._balance(pool, -total, guarded=True), self._balance(energy, total, guarded=False)]
        self.client.transact_write_items(
            TransactItems=[
                *(balances if total else []),
                *self._journal(
                    entry_id,
                    "forest.collect",
                    [(pool, energy, g) for _, g in grams],
                    {"user_id": user, "lots": [lot["lot_id"]["S"] for lot in lots]},
                    hist=energy,
                ),
                *(
                    self._guard(
                        lot["pk"]["S"],
                        lot["sk"]["S"],
                        "SET #state = :collected, settled_by = :entry, #ttl = :ttl REMOVE exp_bucket, exp_kind",
                        "#state = :open AND stolen = :stolen AND ripe_at <= :now AND deadline > :now",
                        {
                            ":collected": _s("collected"),
                            ":open": _s("open"),
                            ":entry": _s(entry_id),
                            ":ttl": _n(ttl),
                            ":stolen": lot["stolen"],
                            ":now": _s(now_iso),
                        },
                        {"#state": "state", "#ttl": "ttl"},
                    )
                    for lot, _ in grams
                ),
            ]
        )
        return {"entry_id": entry_id, "collected": total, "lots": len(lots)}

    def _steal(self, request: dict[str, Any]) -> dict[str, Any]:
        thief, owner, lot_id = request["user_id"], request["friend_id"], request["body"]["lot_id"]
        now = clock.now()
        now_iso = clock.iso(now)
        _, amount_text, shard_text = lot_id.rsplit("-", 2)  # the lot id carries amount and shard: no read
        amount, rules = int(amount_text), forest.settings().steal
        share = max(1, amount * rules.share_percent // 100)
        cap = amount * rules.max_stolen_percent // 100
        pool, energy = str(forest.LOT_POOL), str(forest.energy(thief))
        entry_id = uuid.uuid4().hex
        ttl = int((now + timedelta(days=forest.settings().lots.settled_ttl_days)).timestamp())
        self.client.transact_write_items(
            TransactItems=[
                self._check(
                    friends.pair_key(thief, owner),
                    "PAIR",
                    "contains(asked, :thief) AND contains(asked, :owner)",
                    {":thief": _s(thief), ":owner": _s(owner)},
                ),
                self._new(
                    {
                        "pk": _s(f"STEAL#{owner}#{lot_id}"),
                        "sk": _s(thief),
                        "entry_id": _s(entry_id),
                        "ttl": _n(ttl),
                    }
                ),
                self._guard(
                    forest.partition(owner),
                    f"LOT#{lot_id}",
                    "ADD stolen :share",
                    "attribute_exists(pk) AND amount = :amount AND pool_shard = :shard AND #state = :open"
                    " AND ripe_at <= :now AND deadline > :now AND stolen <= :most",
                    {
                        ":share": _n(share),
                        ":amount": _n(amount),
                        ":shard": _n(int(shard_text)),
                        ":open": _s("open"),
                        ":now": _s(now_iso),
                        ":most": _n(cap - share),
                    },
                    {"#state": "state"},
                ),
                self._balance(pool, -share, guarded=True),
                self._balance(energy, share, guarded=False),
                *self._journal(
                    entry_id,
                    "forest.steal",
                    [(pool, energy, share)],
                    {"thief": thief, "owner": owner, "lot_id": lot_id},
                    hist=energy,
                ),
            ]
        )
        return {"entry_id": entry_id, "stolen": share, "lot_id": lot_id}

    def _donate(self, request: dict[str, Any]) -> dict[str, Any]:
        user, body = request["user_id"], request["body"]
        project = charity.require_project(body["project_id"], "EGG")
        eggs = int(body["eggs"])
        donor, pool = str(farm.eggs_account(user)), str(charity.pool_account(project))
        entry_id = uuid.uuid4().hex
        self.client.transact_write_items(
            TransactItems=[
                self._balance(donor, -eggs, guarded=True),
                self._balance(pool, eggs, guarded=False),
                *self._journal(
                    entry_id,
                    "charity.donation.egg",
                    [(donor, pool, eggs)],
                    {"project_id": project.project_id, "user_id": user},
                ),
                self._guard(
                    charity.progress_key(project.project_id),
                    "PROGRESS",
                    "ADD raised :eggs",
                    "attribute_not_exists(raised) OR raised <= :room",
                    {":eggs": _n(eggs), ":room": _n(project.target - eggs)},
                ),
                self._guard(farm.partition(user), "CHICKEN", "ADD eggs_out :eggs", None, {":eggs": _n(eggs)}),
            ]
        )
        return {"entry_id": entry_id}


def _create_tables(client: Any) -> None:
    client.create_table(
        TableName=IDEMPOTENCY_TABLE,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    client.update_time_to_live(
        TableName=IDEMPOTENCY_TABLE, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expiration"}
    )
    client.create_table(
        TableName=TEXTBOOK_TABLE,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )


def _seed_textbook(client: Any, puts: list[dict[str, Any]]) -> None:
    for start in range(0, len(puts), 25):
        client.batch_write_item(
            RequestItems={
                TEXTBOOK_TABLE: [{"PutRequest": {"Item": item}} for item in puts[start : start + 25]]
            }
        )


def _balance_item(account: str, amount: int) -> dict[str, Any]:
    return {"pk": _s(f"BAL#{account}"), "sk": _s("BAL"), "balance": _n(amount)}


def _lot_item(user: str, grams: int) -> dict[str, Any]:
    """A lot as a payment grants it now (the forest's own lot item: same attributes, same id format)."""
    lot = forest.new_lot(
        user, grams, clock.now(), "Asia/Shanghai", f"e{uuid.uuid4().hex}", external_account("payments", "O2")
    )
    item: dict[str, Any] = lot.guard.kwargs["Item"]
    return item


# ------------------------------------------------------------------------------ measuring


def _side(first: Action, replay: Action, events: int) -> dict[str, Any]:
    """Happy path (calls, WCU, throughput) over ``events``, then replays of the first 20 (calls)."""
    spent = cpu = 0.0
    with CALLS.measure(), METER.measure(), BACKEND.measure():
        for i in range(events):
            started, started_cpu = time.perf_counter(), time.process_time()
            first(i)
            spent += time.perf_counter() - started
            cpu += time.process_time() - started_cpu
        client_cpu = cpu - BACKEND.seconds
    assert METER.failed_calls == 0, "a happy-path write failed"
    calls, wcu, items = CALLS.total / events, METER.wcu / events, METER.items / events
    by_op = {op: round(units / events, 3) for op, units in sorted(METER.by_operation.items())}
    replays = min(events, 20)
    with CALLS.measure():
        for i in range(replays):
            replay(i)
    return {
        "calls": round(calls, 3),
        "replay_calls": round(CALLS.total / replays, 3),
        "wcu": round(wcu, 3),
        "items_written": round(items, 3),
        "wcu_by_operation": by_op,
        "events_per_s": round(events / spent, 1),
        "client_cpu_ms": round(1000 * client_cpu / events, 3),
    }


def run() -> dict[str, Any]:
    events = _events()
    out: dict[str, dict[str, Any]] = {"design": {}, "textbook": {}}
    with moto_ledger_table():
        session = boto3.session.Session(region_name="us-east-1")  # fresh session: the meter's hooks apply
        client = session.client("dynamodb")
        _create_tables(client)
        textbook = Textbook(client)
        clock.set_now(T0)
        runtime.new_environment()
        try:
            ledger = PRODUCT.ledger()

            # choice ------------------------------------------------------------------------------
            story = savings.catalog().story("first-date")
            choice_id = story.chapters[0].choices[0].choice_id
            body = {"story_id": story.story_id, "chapter": 1, "choice_id": choice_id}
            route = "POST /v1/stories/{story_id}/choices"
            for i in range(events):
                fund_book(ledger, f"saver{i}", "wallet", 100_000)
            _seed_textbook(
                client,
                [
                    _balance_item(str(user_account(f"tsaver{i}", "wallet", "CNY")), 100_000)
                    for i in range(events)
                ],
            )

            def design_choice(i: int) -> Any:
                user = f"saver{i}"
                idem = IdempotencyKey(
                    f"user:{user}|{route}",
                    f"choice-{i}",
                    {"path": {"story_id": story.story_id}, "body": {"chapter": 1, "choice_id": choice_id}},
                )
                return savings.choose(ledger, user, story.story_id, 1, choice_id, idem)

            def textbook_choice(i: int) -> Any:
                request = {"user_id": f"tsaver{i}", "route": route, "key": f"choice-{i}", "body": body}
                return textbook.choice(request=request)

            out["design"]["choice"] = _side(design_choice, design_choice, events)
            out["textbook"]["choice"] = _side(textbook_choice, textbook_choice, events)

            # game result ------------------------------------------------------------------------
            seed_budgets(ledger, house=10**8, tag="bench")
            settings = config()
            _seed_textbook(
                client,
                [
                    _balance_item(str(settings.rewards.house), 10**8),
                ],
            )
            sessions = [
                open_session(f"player{i}", "puzzle", IdempotencyKey(f"user:player{i}|open", "s")).session_id
                for i in range(events)
            ]
            tsessions = [f"puzzle.textbook{i:06d}" for i in range(events)]
            _seed_textbook(
                client,
                [
                    {
                        "pk": _s(f"GSESSION#{sid}"),
                        "sk": _s("SESSION"),
                        "state": _s("open"),
                        "user_id": _s(f"tplayer{i}"),
                    }
                    for i, sid in enumerate(tsessions)
                ],
            )
            clock.set_now(T0 + timedelta(seconds=31))
            route = "POST /v1/games/sessions/{session_id}/result"

            def result_body(sid: str) -> dict[str, Any]:
                return {"score": 500, "duration_ms": 30_000, "signature": sign(SECRET, sid, 500, 30_000)}

            def design_result(i: int) -> Any:
                user, sid = f"player{i}", sessions[i]
                result = ResultInput(user, sid, 500, 30_000, result_body(sid)["signature"], f"dev-{i}", None)
                idem = IdempotencyKey(
                    f"user:{user}|{route}", f"r-{i}", {"path": {"session_id": sid}, "body": result_body(sid)}
                )
                return submit_result(ledger, result, idem)

            def textbook_result(i: int) -> Any:
                sid = tsessions[i]
                request = {
                    "user_id": f"tplayer{i}",
                    "route": route,
                    "key": f"r-{i}",
                    "session_id": sid,
                    "device_id": f"tdev-{i}",
                    "body": result_body(sid),
                }
                return textbook.game_result(request=request)

            out["design"]["game_result"] = _side(design_result, design_result, events)
            out["textbook"]["game_result"] = _side(textbook_result, textbook_result, events)

            # withdrawal ---------------------------------------------------------------------------
            for i in range(events):
                fund_book(ledger, f"player{i}", "cash", 1_000)
            _seed_textbook(
                client,
                [
                    _balance_item(str(user_account(f"tplayer{i}", "cash", "CNY")), 1_000)
                    for i in range(events)
                ],
            )
            route = "POST /v1/withdrawals"

            def design_withdrawal(i: int) -> Any:
                user = f"player{i}"
                idem = IdempotencyKey(f"user:{user}|{route}", f"w-{i}", {"path": {}, "body": {"amount": 100}})
                return request_withdrawal(ledger, user, 100, idem)

            def textbook_withdrawal(i: int) -> Any:
                request = {"user_id": f"tplayer{i}", "route": route, "key": f"w-{i}", "body": {"amount": 100}}
                return textbook.withdrawal(request=request)

            out["design"]["withdrawal"] = _side(design_withdrawal, design_withdrawal, events)
            out["textbook"]["withdrawal"] = _side(textbook_withdrawal, textbook_withdrawal, events)

            # forest: lots granted now by payments, ripe two hours later ------------------------------
            grams = payments.categories()["transit"].oxygen
            friends.befriend("owner", "thief")
            friends.befriend("thief", "owner")
            lots = [_pay(ledger, "owner", f"o{i}").response["lot_id"] for i in range(events)]
            collectable = [_pay(ledger, f"c{i}", f"c{i}").response["lot_id"] for i in range(events)]
            towner_lots = [_lot_item("towner", grams) for _ in range(events)]
            tcollectable = [_lot_item(f"tc{i}", grams) for i in range(events)]
            _seed_textbook(
                client,
                [
                    _balance_item(str(forest.LOT_POOL), 2 * events * grams),
                    {
                        "pk": _s(friends.pair_key("towner", "tthief")),
                        "sk": _s("PAIR"),
                        "asked": {"SS": ["towner", "tthief"]},
                    },
                    *towner_lots,
                    *tcollectable,
                ],
            )
            tlots = [str(lot["lot_id"]["S"]) for lot in towner_lots]
            clock.set_now(T0 + timedelta(hours=2))

            # collect: with the lot ids GET /v1/forest listed, so neither side reads first
            route = "POST /v1/forest/collect"

            def design_collect(i: int) -> Any:
                user, ids = f"c{i}", [collectable[i]]
                idem = IdempotencyKey(
                    f"user:{user}|{route}", f"c-{i}", {"path": {}, "body": {"lot_ids": ids}}
                )
                return forest.collect(ledger, user, idem, None, ids)

            def textbook_collect(i: int) -> Any:
                ids = [str(tcollectable[i]["lot_id"]["S"])]
                request = {"user_id": f"tc{i}", "route": route, "key": f"c-{i}", "body": {"lot_ids": ids}}
                return textbook.collect(request=request)

            out["design"]["collect"] = _side(design_collect, design_collect, events)
            out["textbook"]["collect"] = _side(textbook_collect, textbook_collect, events)

            # steal: a share of each of a friend's lots, once per lot
            route = "POST /v1/forest/friends/{friend_id}/steal"

            def design_steal(i: int) -> Any:
                body = {"lot_id": lots[i]}
                idem = IdempotencyKey(
                    f"user:thief|{route}", f"s-{i}", {"path": {"friend_id": "owner"}, "body": body}
                )
                return forest.steal(ledger, "thief", "owner", lots[i], idem)

            def textbook_steal(i: int) -> Any:
                request = {
                    "user_id": "tthief",
                    "route": route,
                    "key": f"s-{i}",
                    "friend_id": "towner",
                    "body": {"lot_id": tlots[i]},
                }
                return textbook.steal(request=request)

            out["design"]["steal"] = _side(design_steal, design_steal, events)
            out["textbook"]["steal"] = _side(textbook_steal, textbook_steal, events)

            # donate: one egg of the credited ones to a pooled project ---------------------------------
            for i in range(events):
                fund_book(ledger, f"d{i}", "eggs", 5, "EGG")  # farm.eggs_account
            _seed_textbook(
                client, [_balance_item(str(farm.eggs_account(f"td{i}")), 5) for i in range(events)]
            )
            route = "POST /v1/farm/donations"
            donation = {"project_id": "school-lunch", "eggs": 1}

            def design_donate(i: int) -> Any:
                user = f"d{i}"
                idem = IdempotencyKey(f"user:{user}|{route}", f"d-{i}", {"path": {}, "body": donation})
                return farm.donate(ledger, user, "school-lunch", 1, idem)

            def textbook_donate(i: int) -> Any:
                request = {"user_id": f"td{i}", "route": route, "key": f"d-{i}", "body": donation}
                return textbook.donate(request=request)

            out["design"]["donate"] = _side(design_donate, design_donate, events)
            out["textbook"]["donate"] = _side(textbook_donate, textbook_donate, events)
        finally:
            clock.set_now(None)
            CALLS.reset()

    ratios = {
        name: {
            "calls": round(out["design"][name]["calls"] / out["textbook"][name]["calls"], 3),
            "replay_calls": round(
                out["design"][name]["replay_calls"] / out["textbook"][name]["replay_calls"], 3
            ),
            "wcu": round(out["design"][name]["wcu"] / out["textbook"][name]["wcu"], 3),
            "events_per_s": round(
                out["design"][name]["events_per_s"] / out["textbook"][name]["events_per_s"], 3
            ),
        }
        for name in EVENT_TYPES
    }
    return {
        "textbook_comparison": {
            "events_per_type": events,
            "design": out["design"],
            "textbook": out["textbook"],
            "ratio_design_over_textbook": ratios,
        },
        "textbook_ddb_calls_per_event": {name: out["textbook"][name]["calls"] for name in EVENT_TYPES},
        "textbook_wcu_per_event": {name: out["textbook"][name]["wcu"] for name in EVENT_TYPES},
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2, sort_keys=True))

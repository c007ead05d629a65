"""The generic expiry sweep: things that must expire are found through the sparse ``ExpiryIndex``.

Every expiring item (oxygen lot, egg batch, pending hold) carries ``exp_bucket = "shard#<n>"`` (its expiry
shard, :func:`reward_ledger.ledger.expiry.bucket_of`), ``expires_at`` (ISO UTC) and ``exp_kind``. The
scheduled fan-out enqueues one job per shard; a worker queries that shard for ``expires_at <= now`` and
hands the items to the expirer of their ``exp_kind``. Nothing bounds how far back that query reaches, so
the sweep catches up after an outage of any length: whatever is overdue, however long ago it fell due,
is in its shard's query until it is expired. The cost is O(what expires), never O(all users), and shards
run in parallel.

A job reads at most ``max_pages_per_job`` pages, so no job runs past the worker's timeout however much a
long outage left behind; a job that stops with pages left returns a continuation (the same shard, from
the last key read), which the worker enqueues at once. A continuation lost or never sent costs nothing:
the next scheduled run queries the shard from its start again, and expired items are no longer in it.

Each expirer moves value to ``system/expired/<asset>`` as a journaled ledger entry whose idempotency key is
derived from the item key(s), and in the same transaction flips the item's state and removes it from the
index (a guarded update). A repeated or crashed sweep therefore never double-expires: a committed item is
no longer in the index, and a replayed batch is a replay of the same entry, refused by the item guards if
its composition changed.

This is a shared piece (like ``charity``): a :class:`Sweeper` is given its expirers (``exp_kind`` ->
expirer) by whoever builds it, from the product's wiring (``reward_ledger.wiring``); ``"hold"``
(two-phase timeouts, :meth:`Ledger.time_out`, :func:`expire_holds`) is the ledger's own kind.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

from pydantic import PositiveInt

from reward_ledger import clock
from reward_ledger.config import StrictModel, ledger_settings, load_model
from reward_ledger.errors import AlreadyDone, NotFound
from reward_ledger.ledger import Ledger
from reward_ledger.ledger.core import MAX_TRANSACTION_ITEMS
from reward_ledger.ledger.expiry import bucket_of
from reward_ledger.ledger.models import ExpiringItem

RawItem = Mapping[str, Any]
#: an expirer gets the raw DynamoDB items (all attributes: the index projects ALL) of its kind from one
#: bucket page and returns how many it expired now (items already settled count 0)
Expirer = Callable[[Ledger, Sequence[RawItem]], int]

EXPIRY_INDEX = "ExpiryIndex"
#: the ``exp_kind`` of pending two-phase entries (the ledger's own; an item without ``exp_kind`` is one)
HOLD_KIND = "hold"


#: items of a transaction an expiry entry needs besides its batch of item guards: the entry header and the
#: balance items of its two accounts (the holding account's shards a batch touches, the expired account)
BATCH_ROOM = 5
#: the most items one expiry entry may settle (DynamoDB's transaction limit, less the room above)
MAX_BATCH_SIZE = MAX_TRANSACTION_ITEMS - BATCH_ROOM
#: the most items one job may read, so that a job of expirers writing one transaction per item (holds)
#: stays well inside the worker's timeout (300 s for four messages, see template.yaml)
MAX_ITEMS_PER_JOB = 2_000


class SweepSettings(StrictModel):
    page_size: PositiveInt
    batch_size: PositiveInt
    max_pages_per_job: PositiveInt


@cache
def settings() -> SweepSettings:
    loaded = load_model("sweep", SweepSettings)
    if loaded.batch_size > MAX_BATCH_SIZE:
        raise ValueError(f"invalid configuration data/sweep.toml: batch_size over {MAX_BATCH_SIZE}")
    if loaded.page_size * loaded.max_pages_per_job > MAX_ITEMS_PER_JOB:
        raise ValueError(f"invalid configuration data/sweep.toml: a job may read {MAX_ITEMS_PER_JOB} items")
    return loaded


def string_attr(item: RawItem, name: str) -> str:
    """A string attribute of a raw DynamoDB item."""
    return str(item[name]["S"])


def expire_holds(ledger: Ledger, items: Sequence[RawItem]) -> int:
    """Pending two-phase entries past their deadline: apply their ``on_timeout`` action, once."""
    done = 0
    for item in items:
        try:
            result = ledger.time_out(string_attr(item, "entry_id"))
        except (AlreadyDone, NotFound):
            continue  # resolved meanwhile (or by a previous sweep): nothing to do
        done += 0 if result.replayed else 1
    return done


# ---------------------------------------------------------------------------------------------- jobs
@dataclass(frozen=True, slots=True)
class SweepJob:
    """Sweep one expiry shard, from its start or (a continuation) after the index key ``after``."""

    shard: int
    after: Mapping[str, Any] | None = None

    def body(self) -> str:
        data: dict[str, Any] = {"shard": self.shard}
        if self.after is not None:
            data["after"] = dict(self.after)
        return json.dumps(data, sort_keys=True)

    @classmethod
    def parse(cls, body: str) -> SweepJob:
        data = json.loads(body)
        shard = int(data["shard"])
        if not 0 <= shard < ledger_settings().time.expiry_shards:
            raise ValueError(f"no expiry shard {shard}")
        after = data.get("after")
        if after is not None and not (
            isinstance(after, dict)
            and all(isinstance(v, dict) and isinstance(v.get("S"), str) for v in after.values())
        ):
            raise ValueError("after must be an index key of string attributes")
        return cls(shard, after)


def jobs_for() -> list[SweepJob]:
    """One job per expiry shard: each finds everything of its shard that is due, however old."""
    return [SweepJob(shard) for shard in range(ledger_settings().time.expiry_shards)]


def enqueue(sqs: Any, queue_url: str, jobs: Sequence[SweepJob]) -> int:
    """Send the jobs to the expiry queue, ten per ``SendMessageBatch``; raises if any was refused."""
    for start in range(0, len(jobs), 10):
        chunk = jobs[start : start + 10]
        answer = sqs.send_message_batch(
            QueueUrl=queue_url,
            Entries=[{"Id": str(i), "MessageBody": job.body()} for i, job in enumerate(chunk)],
        )
        if answer.get("Failed"):
            raise RuntimeError(f"expiry jobs not enqueued: {answer['Failed']}")
    return len(jobs)


# ---------------------------------------------------------------------------------------------- worker
@dataclass(slots=True)
class SweepReport:
    examined: int = 0
    expired: int = 0
    pages: int = 0
    by_kind: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    unknown: int = 0
    resume: SweepJob | None = None  # the continuation when the job stopped with pages left
    oldest_due: str | None = None  # expires_at of the oldest item still due: the sweep's lag

    def lag_seconds(self, now: datetime) -> int:
        """How late this sweep is: the oldest due item's age (0 when nothing was due)."""
        if not self.oldest_due:
            return 0
        return max(0, int((now - clock.parse_iso(self.oldest_due)).total_seconds()))

    def as_dict(self) -> dict[str, Any]:
        return {
            "examined": self.examined,
            "expired": self.expired,
            "pages": self.pages,
            "by_kind": dict(self.by_kind),
            "unknown": self.unknown,
            "more": self.resume is not None,
        }


class Sweeper:
    """Expires what is due, bucket by bucket, with the expirers it was given (``exp_kind`` -> expirer).

    Items of a kind it has no expirer for are left in place and counted as ``unknown`` (the worker logs
    and counts them: a kind the wiring forgot)."""

    def __init__(self, ledger: Ledger, expirers: Mapping[str, Expirer]) -> None:
        self.ledger = ledger
        self.expirers: Mapping[str, Expirer] = dict(expirers)

    @property
    def kinds(self) -> list[str]:
        return sorted(self.expirers)

    def sweep_bucket(self, job: SweepJob, now: datetime | None = None) -> SweepReport:
        """Expire what is due in the job's shard, reading at most ``max_pages_per_job`` pages; the report's
        ``resume`` is the continuation when pages are left."""
        now_iso = clock.iso(now or clock.now())
        connection = ExpiringItem._get_connection()
        report = SweepReport()
        start_key: Mapping[str, Any] | None = job.after
        rules = settings()
        while True:
            page = connection.query(
                hash_key=bucket_of(job.shard),
                range_key_condition=ExpiringItem.expires_at <= now_iso,
                index_name=EXPIRY_INDEX,
                limit=rules.page_size,
                exclusive_start_key=dict(start_key) if start_key else None,
            )
            report.pages += 1
            items: list[RawItem] = page.get("Items", [])
            report.examined += len(items)
            if report.oldest_due is None and items:  # the index sorts by expires_at: the first is the oldest
                report.oldest_due = str(items[0].get("expires_at", {}).get("S", "")) or None
            by_kind: dict[str, list[RawItem]] = defaultdict(list)
            for item in items:
                by_kind[str(item.get("exp_kind", {}).get("S", HOLD_KIND))].append(item)
            for kind, group in by_kind.items():
                expirer = self.expirers.get(kind)
                if expirer is None:
                    report.unknown += len(group)  # left in place for the feature that owns it
                    continue
                expired = expirer(self.ledger, group)
                report.expired += expired
                report.by_kind[kind] += expired
            start_key = page.get("LastEvaluatedKey")
            if not start_key:
                return report
            if report.pages >= rules.max_pages_per_job:
                report.resume = SweepJob(job.shard, start_key)
                return report

    def sweep_all(self, now: datetime | None = None) -> int:
        """Every shard, continuations followed, in this process (tests, benches, the local stack's CLI);
        how many items it expired."""
        expired = 0
        for first in jobs_for():
            job: SweepJob | None = first
            while job is not None:
                report = self.sweep_bucket(job, now)
                expired += report.expired
                job = report.resume
        return expired

"""The generic expiry sweep: things that must expire are found through the sparse ``ExpiryIndex``.

Every expiring item (oxygen lot, egg batch, pending hold) carries ``exp_bucket = "<UTC day>#<shard>"``,
``expires_at`` (ISO UTC) and ``exp_kind``. The scheduled fan-out enqueues one job per (day, shard) for the
last ``lookback_days`` days; a worker queries that one bucket for ``expires_at <= now`` and hands the items
to the expirer registered for their ``exp_kind``. The cost is O(what expires), never O(all users), and
shards run in parallel.

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
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from pydantic import PositiveInt
from pynamodb.attributes import UnicodeAttribute
from pynamodb.models import Model

from reward_ledger import clock
from reward_ledger.config import StrictModel, ledger_settings, load_model
from reward_ledger.errors import AlreadyDone, NotFound
from reward_ledger.ledger import Ledger
from reward_ledger.ledger.models import ExpiringItem, LedgerTableMeta

RawItem = Mapping[str, Any]
#: an expirer gets the raw DynamoDB items (all attributes: the index projects ALL) of its kind from one
#: bucket page and returns how many it expired now (items already settled count 0)
Expirer = Callable[[Ledger, Sequence[RawItem]], int]

EXPIRY_INDEX = "ExpiryIndex"
#: the ``exp_kind`` of pending two-phase entries (the ledger's own; an item without ``exp_kind`` is one)
HOLD_KIND = "hold"


class SweepMark(Model):
    """``pk=SWEEPMARK#<shard>``, ``sk=MARK``: the shard's watermark, the first UTC day whose bucket is not
    known to be empty (every bucket of an earlier day was swept empty)."""

    class Meta(LedgerTableMeta):
        pass

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default="MARK")
    day = UnicodeAttribute()
    updated_at = UnicodeAttribute(null=True)


class SweepSettings(StrictModel):
    lookback_days: PositiveInt
    page_size: PositiveInt
    batch_size: PositiveInt


@cache
def settings() -> SweepSettings:
    loaded = load_model("sweep", SweepSettings)
    if loaded.batch_size > 95:
        raise ValueError("invalid configuration data/sweep.toml: batch_size must leave room in a transaction")
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
    day: str  # UTC day of expiry, ISO
    shard: int

    def body(self) -> str:
        return json.dumps({"day": self.day, "shard": self.shard}, sort_keys=True)

    @classmethod
    def parse(cls, body: str) -> SweepJob:
        data = json.loads(body)
        day = datetime.strptime(str(data["day"]), "%Y-%m-%d").date().isoformat()
        shard = int(data["shard"])
        if not 0 <= shard < ledger_settings().time.expiry_shards:
            raise ValueError(f"no expiry shard {shard}")
        return cls(day, shard)


def jobs_for(now: datetime | None = None) -> list[SweepJob]:
    """One job per (UTC day, shard) for the last ``lookback_days`` days up to today."""
    today = (now or clock.now()).astimezone(clock.zone("UTC")).date()
    days = [today - timedelta(days=back) for back in range(settings().lookback_days, -1, -1)]
    shards = ledger_settings().time.expiry_shards
    return [SweepJob(day.isoformat(), shard) for day in days for shard in range(shards)]


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

    def as_dict(self) -> dict[str, Any]:
        return {
            "examined": self.examined,
            "expired": self.expired,
            "pages": self.pages,
            "by_kind": dict(self.by_kind),
            "unknown": self.unknown,
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
        """Expire every item of one (day, shard) bucket whose ``expires_at`` has passed."""
        now_iso = clock.iso(now or clock.now())
        connection = ExpiringItem._get_connection()
        report = SweepReport()
        start_key: dict[str, Any] | None = None
        while True:
            page = connection.query(
                hash_key=f"{job.day}#{job.shard}",
                range_key_condition=ExpiringItem.expires_at <= now_iso,
                index_name=EXPIRY_INDEX,
                limit=settings().page_size,
                exclusive_start_key=start_key,
            )
            report.pages += 1
            items: list[RawItem] = page.get("Items", [])
            report.examined += len(items)
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

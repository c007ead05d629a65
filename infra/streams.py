"""DynamoDB Streams locally, as Lambda's event source mapping runs them.

For each ``AWS::Lambda::EventSourceMapping`` on a table's ``StreamArn`` a :class:`StreamSource` polls the
shard in order and invokes the function with Lambda-shaped batches (``{"Records": [...]}``), with
Lambda's semantics: ``ReportBatchItemFailures`` retries from the lowest failed sequence number (records
before it are done), a function error retries the whole batch (split in halves with
``BisectBatchOnFunctionError``), and after ``MaximumRetryAttempts`` the batch's description goes to the
``OnFailure`` destination and the shard moves on. Records are processed strictly in order, so a retried
batch re-sends records after the failed one: at least once, never out of order.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from infra.stream_reader import ShardReader, StreamMapping, mappings

__all__ = ["ShardReader", "StreamMapping", "StreamPoller", "StreamSource", "mappings", "start_streams"]
Invoke = Callable[[str, dict[str, Any]], Any]


@dataclass
class StreamStats:
    batches: int = 0
    records: int = 0
    retried: int = 0
    sent_to_on_failure: int = 0
    errors: list[str] = field(default_factory=list)


class StreamSource:
    """One mapping at work: ``pump()`` delivers everything new (the poller thread calls it too)."""

    def __init__(
        self,
        mapping: StreamMapping,
        reader: ShardReader,
        invoke: Invoke,
        on_failure: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        self.mapping = mapping
        self.reader = reader
        self.invoke = invoke
        self.on_failure = on_failure
        self.pending: list[dict[str, Any]] = []
        self.stats = StreamStats()
        self.lock = threading.Lock()

    def pump(self) -> int:
        """Deliver every record written so far, in order; returns how many were handed over."""
        with self.lock:
            self.pending.extend(self.reader.read())
            handed = 0
            while self.pending:
                batch = self.pending[: self.mapping.batch_size]
                self._deliver(batch)
                del self.pending[: len(batch)]
                handed += len(batch)
            return handed

    def _deliver(self, batch: list[dict[str, Any]]) -> None:
        """One batch until done: a retry counts against ``MaximumRetryAttempts``, a bisection does not
        (as in Lambda), and the halves are delivered in order."""
        queue: list[tuple[list[dict[str, Any]], int]] = [(batch, 0)]
        while queue:
            part, attempts = queue.pop(0)
            self.stats.batches += 1
            try:
                answer = self.invoke(self.mapping.function, {"Records": part})
            except Exception as exc:
                self.stats.errors.append(f"{type(exc).__name__}: {exc}"[:300])
                del self.stats.errors[:-20]
                if self.mapping.bisect and len(part) > 1:
                    half = len(part) // 2
                    queue[:0] = [(part[:half], attempts), (part[half:], attempts)]
                elif not self._gave_up(attempts + 1, part):
                    self.stats.retried += 1
                    queue.insert(0, (part, attempts + 1))
                continue
            failed = self._failed_from(answer, part)
            self.stats.records += len(part) if failed is None else failed
            if failed is not None and not self._gave_up(attempts + 1, part[failed:]):
                self.stats.retried += 1
                queue.insert(0, (part[failed:], attempts + 1))

    def _failed_from(self, answer: Any, part: list[dict[str, Any]]) -> int | None:
        """Index of the lowest failed record of a partial-failure answer (``None``: all succeeded)."""
        if not self.mapping.report_batch_item_failures or not isinstance(answer, dict):
            return None
        ids = {str(f.get("itemIdentifier")) for f in answer.get("batchItemFailures") or []}
        for index, record in enumerate(part):
            if str(record["dynamodb"]["SequenceNumber"]) in ids:
                return index
        return 0 if ids else None  # an identifier that is no record of the batch: the whole batch again

    def _gave_up(self, attempts: int, part: list[dict[str, Any]]) -> bool:
        if self.mapping.max_retries < 0 or attempts <= self.mapping.max_retries:
            return False
        self.stats.sent_to_on_failure += 1
        if self.on_failure is not None:
            first, last = part[0]["dynamodb"], part[-1]["dynamodb"]
            self.on_failure(
                {
                    "requestContext": {
                        "condition": "RetryAttemptsExhausted",
                        "approximateInvokeCount": attempts,
                    },
                    "DDBStreamBatchInfo": {
                        "shardId": "local",
                        "startSequenceNumber": first["SequenceNumber"],
                        "endSequenceNumber": last["SequenceNumber"],
                        "batchSize": len(part),
                        "streamArn": self.reader.stream_arn,
                    },
                }
            )
        return True


class StreamPoller:
    """Pumps every stream source of a stack in the background (``interval`` seconds apart)."""

    def __init__(self, sources: list[StreamSource], interval: float = 0.25) -> None:
        self.sources = sources
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="local-streams", daemon=True)

    def start(self) -> StreamPoller:
        self._thread.start()
        return self

    def pump(self) -> int:
        return sum(source.pump() for source in self.sources)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.pump()
            except Exception as exc:  # the poller must survive a failed read; the next round retries
                for source in self.sources:
                    source.stats.errors.append(f"poll: {type(exc).__name__}: {exc}"[:300])

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(5)

    def report(self) -> list[dict[str, Any]]:
        return [
            {"mapping": s.mapping.logical_id, "function": s.mapping.function, **vars(s.stats)}
            for s in self.sources
        ]


def start_streams(stack: Any) -> StreamPoller:
    """The stack's hook: a source per stream mapping of its template, invoking through the stack."""
    sources: list[StreamSource] = []
    for mapping in mappings(stack.model.template):
        if mapping.function not in stack.pools:
            continue
        reader = ShardReader(stack.model.tables[mapping.table])
        queue = stack.model.queues.get(mapping.on_failure) if mapping.on_failure else None

        def to_queue(body: dict[str, Any], url: str | None = queue.url if queue else None) -> None:
            if url is not None:
                stack.sqs.send_message(QueueUrl=url, MessageBody=json.dumps(body))

        sources.append(StreamSource(mapping, reader, stack.invoke, to_queue))
    return StreamPoller(sources, stack.poll_interval).start()

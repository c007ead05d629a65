"""SQS event sources locally: each queue-triggered function is fed from its queue in a background thread.

Like Lambda's event source mapping: batches of up to ``BatchSize`` (at most 10 per receive locally) in a
real SQS event; messages stay invisible while the function runs (the queue's visibility timeout); on
success the batch is deleted; when the function raises, the whole batch comes back; with
``ReportBatchItemFailures`` only the messages named in ``batchItemFailures`` come back (an invalid
identifier fails the whole batch, as in AWS). A message that comes back is visible again after
``retry_seconds`` (the local stand-in for the visibility timeout, short and configurable), and once it
has been received ``maxReceiveCount`` times the queue's redrive policy moves it to the DLQ.
"""

from __future__ import annotations

import threading
import traceback
from dataclasses import dataclass, field
from typing import Any, TextIO

from infra.discovery import Queue, QueueSource
from infra.events import sqs_event, sqs_record
from infra.workers import FunctionError, FunctionWorkers, failure_text


@dataclass
class SourceStats:
    batches: int = 0
    succeeded: int = 0  # messages deleted after a successful invocation
    retried: int = 0  # messages made visible again after a failure
    errors: list[str] = field(default_factory=list)  # the last few failures, newest last

    def failure(self, text: str) -> None:
        self.errors = [*self.errors[-9:], text]


class QueuePoller:
    """Feeds one function from one queue until stopped."""

    def __init__(
        self,
        source: QueueSource,
        queue: Queue,
        pool: FunctionWorkers,
        sqs: Any,
        *,
        retry_seconds: int,
        poll_interval: float,
        log: TextIO | None,
    ) -> None:
        self.source = source
        self.queue = queue
        self.pool = pool
        self.sqs = sqs
        self.retry_seconds = retry_seconds
        self.poll_interval = poll_interval
        self.log = log
        self.stats = SourceStats()
        self._stop = threading.Event()
        self.enabled = source.enabled  # an event source mapping can be paused (Enabled: false) and resumed
        self._thread = threading.Thread(
            target=self._run, name=f"sqs-{source.queue}->{source.function}", daemon=True
        )
        visibility = queue.attributes.get("VisibilityTimeout")
        self.visibility_timeout = int(visibility) if visibility else 30

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _say(self, text: str) -> None:
        if self.log is not None:
            self.log.write(text + "\n")
            self.log.flush()

    def _run(self) -> None:
        while not self._stop.is_set():
            if not self.enabled:
                self._stop.wait(self.poll_interval)
                continue
            try:
                worked = self.poll_once()
            except Exception as exc:  # the stack keeps running; the next poll tries again
                self._say(f"[sqs] {self.source.queue} -> {self.source.function}: polling failed: {exc}")
                worked = False
            if not worked:
                self._stop.wait(self.poll_interval)

    def poll_once(self) -> bool:
        """Receive and process one batch; False when the queue had nothing visible."""
        received = self.sqs.receive_message(
            QueueUrl=self.queue.url,
            MaxNumberOfMessages=max(1, min(self.source.batch_size, 10)),
            VisibilityTimeout=self.visibility_timeout,
            WaitTimeSeconds=0,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        messages: list[dict[str, Any]] = received.get("Messages") or []
        if not messages:
            return False
        records = [sqs_record(m, self.queue) for m in messages]
        ids = [r["messageId"] for r in records]
        failed: set[str]
        self.stats.batches += 1
        try:
            result = self.pool.invoke(sqs_event(records))
        except Exception as exc:
            failed = set(ids)
            text = failure_text(exc)
            self.stats.failure(text)
            self._say(
                f"[sqs] {self.source.function} failed on a batch of {len(ids)} from {self.queue.name}: {text}"
            )
            if self.log is not None and not isinstance(exc, FunctionError):
                traceback.print_exception(exc, file=self.log)
        else:
            failed = self._reported_failures(result, ids)
        done = [m for m, i in zip(messages, ids, strict=True) if i not in failed]
        again = [m for m, i in zip(messages, ids, strict=True) if i in failed]
        for start in range(0, len(done), 10):
            self.sqs.delete_message_batch(
                QueueUrl=self.queue.url,
                Entries=[
                    {"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]}
                    for n, m in enumerate(done[start : start + 10])
                ],
            )
        if again:
            self.sqs.change_message_visibility_batch(
                QueueUrl=self.queue.url,
                Entries=[
                    {
                        "Id": str(n),
                        "ReceiptHandle": m["ReceiptHandle"],
                        "VisibilityTimeout": self.retry_seconds,
                    }
                    for n, m in enumerate(again)
                ],
            )
        self.stats.succeeded += len(done)
        self.stats.retried += len(again)
        return True

    def _reported_failures(self, result: Any, ids: list[str]) -> set[str]:
        if not self.source.report_batch_item_failures or not isinstance(result, dict):
            return set()
        failures = result.get("batchItemFailures")
        if not failures:
            return set()
        named: set[str] = set()
        for failure in failures:
            identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
            if not isinstance(identifier, str) or identifier not in ids:
                self.stats.failure(f"invalid batchItemFailures entry {failure!r}: the whole batch is retried")
                return set(ids)
            named.add(identifier)
        self.stats.failure(f"{len(named)} of {len(ids)} messages reported as failed")
        return named


def queue_depths(sqs: Any, queue: Queue) -> dict[str, int]:
    attributes = sqs.get_queue_attributes(
        QueueUrl=queue.url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    ).get("Attributes", {})
    return {
        "visible": int(attributes.get("ApproximateNumberOfMessages", 0)),
        "in_flight": int(attributes.get("ApproximateNumberOfMessagesNotVisible", 0)),
    }

"""The local stream event source behaves as Lambda's: in order, partial failures retried from the failed
record, function errors bisected, a batch given up on sent to the on-failure destination."""

from __future__ import annotations

from typing import Any

from infra.streams import StreamMapping, StreamSource


class Records:
    """A stream shard that yields its records once."""

    stream_arn = "arn:aws:dynamodb:us-east-1:000000000000:table/T/stream/local"

    def __init__(self, count: int) -> None:
        self.records = [{"dynamodb": {"SequenceNumber": str(100 + i)}} for i in range(count)]

    def read(self) -> list[dict[str, Any]]:
        records, self.records = self.records, []
        return records


def seqs(event: dict[str, Any]) -> list[int]:
    return [int(r["dynamodb"]["SequenceNumber"]) for r in event["Records"]]


def source(count: int, invoke: Any, **options: Any) -> tuple[StreamSource, list[dict[str, Any]]]:
    mapping = StreamMapping("M", "T", "F", **{"batch_size": 10, **options})
    sent: list[dict[str, Any]] = []
    return StreamSource(mapping, Records(count), invoke, sent.append), sent  # type: ignore[arg-type]


def test_a_partial_failure_is_retried_from_the_failed_record_in_order() -> None:
    seen: list[list[int]] = []

    def invoke(_function: str, event: dict[str, Any]) -> Any:
        seen.append(seqs(event))
        if len(seen) == 1:
            return {"batchItemFailures": [{"itemIdentifier": "104"}, {"itemIdentifier": "107"}]}
        return {"batchItemFailures": []}

    stream, sent = source(12, invoke, report_batch_item_failures=True, max_retries=2)
    assert stream.pump() == 12
    assert seen == [list(range(100, 110)), list(range(104, 110)), [110, 111]]
    assert sent == []


def test_a_failing_record_is_isolated_by_bisection_and_sent_to_the_on_failure_destination() -> None:
    delivered: list[int] = []

    def invoke(_function: str, event: dict[str, Any]) -> Any:
        if 103 in seqs(event):
            raise RuntimeError("poison record")
        delivered.extend(seqs(event))
        return None

    stream, sent = source(8, invoke, bisect=True, max_retries=1)
    stream.pump()  # bisections do not count as retries: the record is isolated, retried once, given up
    assert sorted(delivered) == [100, 101, 102, 104, 105, 106, 107]  # every other record, once
    assert len(sent) == 1
    assert sent[0]["DDBStreamBatchInfo"]["startSequenceNumber"] == "103"
    assert sent[0]["DDBStreamBatchInfo"]["batchSize"] == 1
    assert (stream.stats.sent_to_on_failure, stream.stats.retried) == (1, 1)

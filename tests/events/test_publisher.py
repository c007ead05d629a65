"""Events out: every committed entry is published once per stream record, balanced, never a refused one."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from infra.streams import StreamSource
from reward_ledger.ledger.models import EntryItem
from reward_ledger.outbound import publish, schema
from tests.conftest import SEED_ENTRIES, Api, fund
from tests.events.conftest import Consumer

CHOICE = "/v1/stories/{story_id}/choices"


def choose(
    key: str, chapter: int = 1, choice: str = "flowers", user: str = "alice"
) -> tuple[int, dict[str, Any], dict[str, str]]:
    return Api("SavingsFunction").call(
        "POST",
        "/v1/stories/first-date/choices",
        route=CHOICE,
        path_parameters={"story_id": "first-date"},
        body={"chapter": chapter, "choice_id": choice},
        headers={"Idempotency-Key": key},
        user=user,
    )


def committed_entry_ids() -> set[str]:
    return {item.entry_id for item in EntryItem.scan(EntryItem.sk == "ENTRY")}


def assert_balanced(detail: dict[str, Any]) -> None:
    per_asset: dict[str, int] = defaultdict(int)
    for posting in detail["postings"]:
        per_asset[posting["account"].rsplit("/", 1)[-1]] += posting["delta"]
    assert all(total == 0 for total in per_asset.values()), detail


def test_a_committed_choice_is_published_once_with_balanced_postings(
    consumer: Consumer, stream: StreamSource
) -> None:
    fund("alice", 10_000)
    status, first, _ = choose("c1")
    assert status == 201
    assert choose("c1")[2]["idempotent-replayed"] == "true"  # a replay commits nothing new
    assert choose("c2", 1, "roses")[0] == 409  # refused: chapter-mismatch
    stream.pump()
    entries = consumer.drain(schema.ENTRY_COMMITTED)
    by_id = Counter(e["detail"]["entry_id"] for e in entries)
    assert set(by_id) == committed_entry_ids()  # the funding and the choice, nothing refused
    assert by_id[first["entry_id"]] == 1
    choice = next(e for e in entries if e["detail"]["entry_id"] == first["entry_id"])
    assert choice["source"] == "reward-ledger"
    assert choice["resources"] == [f"reward-ledger:{first['entry_id']}"]
    assert choice["detail"]["kind"] == "savings.choice"
    assert sorted((p["account"], p["delta"]) for p in choice["detail"]["postings"]) == [
        ("user:alice/purse/CNY", first["amount"]),
        ("user:alice/wallet/CNY", -first["amount"]),
    ]
    for event in entries:
        assert_balanced(event["detail"])


def test_a_refused_request_publishes_nothing(consumer: Consumer, stream: StreamSource) -> None:
    fund("alice", 100)
    stream.pump()
    before = len(consumer.drain(schema.ENTRY_COMMITTED))
    assert choose("c1")[1]["type"] == "insufficient-funds"
    assert choose("c2", 3, "taxi")[1]["type"] == "chapter-mismatch"
    assert stream.pump() == 0  # a cancelled transaction leaves no stream record at all
    assert len(consumer.drain(schema.ENTRY_COMMITTED)) == before == SEED_ENTRIES + 1  # the seed, the funding


def test_a_batch_retried_after_a_partial_failure_repeats_only_what_consumers_drop_by_id(
    consumer: Consumer, stream: StreamSource, monkeypatch: pytest.MonkeyPatch
) -> None:
    for i in range(6):
        fund(f"u{i}", 100 + i)
    real_put_all = publish.put_all
    refusals = {"left": 1}

    def refuse_the_third_once(client: Any, bus: str, events: Any) -> list[int]:
        if refusals["left"] and len(events) >= 3:
            refusals["left"] -= 1
            accepted = real_put_all(client, bus, [e for i, e in enumerate(events) if i != 2])
            assert accepted == []
            return [2]  # EventBridge refused the third event of the batch (e.g. throttled)
        return real_put_all(client, bus, events)

    monkeypatch.setattr("reward_ledger.outbound.stream.put_all", refuse_the_third_once)
    stream.pump()
    assert stream.stats.retried == 1
    entries = consumer.drain(schema.ENTRY_COMMITTED)
    ids = [e["detail"]["entry_id"] for e in entries]
    assert set(ids) == committed_entry_ids()  # nothing lost
    assert len(ids) > len(set(ids))  # the records after the failed one went out again...
    for entry_id, count in Counter(ids).items():  # ...each repeat identical to its first: drop by id
        copies = [e["detail"] for e in entries if e["detail"]["entry_id"] == entry_id]
        assert copies == [copies[0]] * count
    assert len({e["id"] for e in entries}) == len(entries)  # EventBridge ids differ: not a dedupe key


def test_a_batch_the_bus_keeps_refusing_goes_to_the_on_failure_destination(
    consumer: Consumer, stream: StreamSource, monkeypatch: pytest.MonkeyPatch
) -> None:
    fund("alice", 100)
    sent: list[dict[str, Any]] = []
    stream.on_failure = sent.append
    monkeypatch.setattr(
        "reward_ledger.outbound.stream.put_all", lambda _c, _b, events: list(range(len(events)))
    )
    stream.pump()
    assert consumer.drain() == []
    assert len(sent) == 1
    assert sent[0]["DDBStreamBatchInfo"]["batchSize"] >= 1


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["user:a/wallet/CNY", "user:b/cash/CNY", "campaign:c/budget/CNY"]),
            st.sampled_from(["user:a/energy/O2", "system/lots/O2"]),
            st.integers(1, 10**9),
            st.integers(0, 3),
        ),
        max_size=8,
    )
)
def test_netted_postings_sum_to_zero_per_asset(lines: list[tuple[str, str, int, int]]) -> None:
    raw = []
    for cny, o2, amount, shard in lines:
        raw += [
            {"account": cny, "shard": shard, "delta": -amount},
            {"account": "system/external/CNY", "shard": 0, "delta": amount},
            {"account": o2, "shard": shard, "delta": amount},
            {"account": "system/issued/O2", "shard": shard, "delta": -amount},
        ]
    postings = schema.netted_postings(raw)
    assert len({p.account for p in postings}) == len(postings)  # one line per account
    assert sum(p.delta for p in postings) == 0
    if lines:
        with pytest.raises(AssertionError):
            schema.netted_postings(raw[1:])  # an unbalanced journal is refused, never published

"""Property: any sequence of choices, releases, replays and conflicting reuses of keys keeps each user's
wallet + purse constant, never negative, and exactly where a simple model of the rules says it is."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reward_ledger.ledger import Ledger
from reward_ledger.savings import catalog, purse, wallet
from tests.conftest import fund
from tests.savings.conftest import SavingsApi

FUNDED = 12_000
STORIES = ["first-date", "weekend-escape"]

choose_op = st.tuples(
    st.just("choose"),
    st.integers(0, 1),  # user
    st.integers(0, len(STORIES) - 1),
    st.sampled_from([0, 0, 0, -1, 1]),  # chapter relative to where the user is
    st.integers(0, 2),  # choice (modulo the chapter's choices)
)
release_op = st.tuples(st.just("release"), st.integers(0, 1), st.integers(1, 7_000))
replay_op = st.tuples(st.just("replay"), st.integers(0, 50))
conflict_op = st.tuples(st.just("conflict"), st.integers(0, 50))
ops = st.lists(st.one_of(choose_op, choose_op, release_op, replay_op, conflict_op), min_size=1, max_size=25)


@dataclass
class Sent:
    user: str
    kind: str
    key: str
    args: dict[str, Any]
    status: int
    body: dict[str, Any]


@dataclass
class Model:
    wallet: dict[str, int]
    purse: dict[str, int]
    chapter: dict[tuple[str, str], int] = field(default_factory=dict)


def send(api: SavingsApi, user: str, kind: str, key: str, args: dict[str, Any]) -> tuple[int, dict, dict]:
    if kind == "choose":
        return api.choose(args["story"], args["chapter"], args["choice"], key, user=user)
    return api.release(args["amount"], key, user=user)


def expect(model: Model, user: str, kind: str, args: dict[str, Any]) -> tuple[int, int]:
    """(status, amount moved wallet -> purse) the rules demand for a fresh request."""
    if kind == "release":
        return (201, -args["amount"]) if args["amount"] <= model.purse[user] else (422, 0)
    story = catalog().stories[args["story"]]
    at = model.chapter.get((user, args["story"]), 1)
    chapter = args["chapter"]
    if not 1 <= chapter <= len(story.chapters):
        return 400, 0
    offered = {c.choice_id: c.amount for c in story.chapters[chapter - 1].choices}
    if args["choice"] not in offered:
        return 400, 0
    if chapter != at:
        return 409, 0
    amount = offered[args["choice"]]
    return (201, amount) if amount <= model.wallet[user] else (422, 0)


def apply(model: Model, user: str, kind: str, args: dict[str, Any], moved: int) -> None:
    model.wallet[user] -= moved
    model.purse[user] += moved
    if kind == "choose":
        model.chapter[(user, args["story"])] = args["chapter"] + 1


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=ops)
def test_wallet_plus_purse_is_constant_under_any_sequence(
    savings_api: SavingsApi, ledger: Ledger, steps: list[tuple[Any, ...]]
) -> None:
    run = uuid.uuid4().hex[:8]  # fresh users per example (the table outlives examples)
    users = [f"a{run}", f"b{run}"]
    for user in users:
        fund(user, FUNDED, f"fund-{user}")
    model = Model({u: FUNDED for u in users}, {u: 0 for u in users})
    sent: list[Sent] = []
    for n, step in enumerate(steps):
        if step[0] in ("replay", "conflict") and not sent:
            continue
        if step[0] == "replay":
            first = sent[step[1] % len(sent)]
            user, kind, key, args = first.user, first.kind, first.key, first.args
        elif step[0] == "conflict":
            first = sent[step[1] % len(sent)]
            user, kind, key = first.user, first.kind, first.key
            args = dict(first.args)
            if kind == "release":
                args["amount"] += 1
            else:
                args["chapter"] += 1
        elif step[0] == "choose":
            _, u, s, delta, c = step
            user, kind, key = users[u], "choose", f"c{n}"
            story = catalog().stories[STORIES[s]]
            chapter = model.chapter.get((user, story.story_id), 1) + delta
            scene = story.chapter(min(max(chapter, 1), len(story.chapters)))
            assert scene is not None
            args = {
                "story": story.story_id,
                "chapter": chapter,
                "choice": scene.choices[c % len(scene.choices)].choice_id,
            }
        else:
            _, u, amount = step
            user, kind, key, args = users[u], "release", f"r{n}", {"amount": amount}

        previous = next((s for s in sent if s.user == user and s.kind == kind and s.key == key), None)
        status, body, headers = send(savings_api, user, kind, key, args)
        if previous is not None and previous.status == 201:
            if args == previous.args:  # a faithful replay: the first answer, nothing moves
                assert (status, body) == (201, previous.body)
                assert headers.get("idempotent-replayed") == "true"
            elif expect(model, user, kind, args)[0] == 400:  # an invalid body is refused as such first
                assert (status, body["type"]) == (400, "validation-error")
            else:  # the key was used for another request
                assert (status, body["type"]) == (409, "idempotency-conflict")
        else:  # nothing was journaled under this key yet: a fresh request
            wanted, moved = expect(model, user, kind, args)
            assert status == wanted, (step, body)
            if status == 201:
                apply(model, user, kind, args, moved)
                assert "idempotent-replayed" not in headers
            if previous is None:
                sent.append(Sent(user, kind, key, args, status, body))
            else:
                previous.args, previous.status, previous.body = args, status, body
        found = ledger.balances([book(u) for u in users for book in (wallet, purse)])
        for u in users:
            assert found[wallet(u)] + found[purse(u)] == FUNDED
            assert (found[wallet(u)], found[purse(u)]) == (model.wallet[u], model.purse[u])

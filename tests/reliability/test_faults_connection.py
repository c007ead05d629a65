"""The connection dies after DynamoDB committed (reset or read timeout) and the caller retries.

The requests go over HTTP to a moto server. A ``before-send`` hook on PynamoDB's botocore client lets
the real request reach the server (it commits there), then raises the network error botocore would raise
when the answer is lost: ``ConnectionClosedError`` (connection reset) or ``ReadTimeoutError``.

* botocore's standard retry mode resends the same ``TransactWriteItems``; the journal item's condition
  fails and the ledger replays the first result: the money moved once.
* When the answers stay lost past botocore's attempts, the ledger tries again itself (bounded, jittered,
  like contention): the next try meets the journal item and replays.
* When every attempt loses its answer, the ledger gives up with ``RetriesExhausted`` (the handler answers
  503 ``contention``: retry with the same key), and the client's retry of the same POST with the same
  ``Idempotency-Key`` returns the first result.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from botocore.exceptions import ConnectionClosedError, ReadTimeoutError

from infra.apigw import eventbridge_event
from infra.handlers import invoke
from reward_ledger.errors import RetriesExhausted
from reward_ledger.ledger import (
    EntryRequest,
    IdempotencyKey,
    Ledger,
    Leg,
    external_account,
    reconcile,
    user_account,
)
from reward_ledger.ledger.models import EntryItem
from tests.conftest import Api
from tests.reliability.conftest import MotoServer

ISSUER = external_account("faults", "CNY")
EVENT = "before-send.dynamodb.TransactWriteItems"


def lost_answer(kind: str, url: str) -> Exception:
    if kind == "reset":
        return ConnectionClosedError(endpoint_url=url)
    return ReadTimeoutError(endpoint_url=url)


@contextmanager
def answers_lost(kind: str, times: int) -> Iterator[list[int]]:
    """The next ``times`` TransactWriteItems reach the server and commit (or fail there), then the
    connection dies before the answer arrives. Yields the HTTP statuses the server sent (unseen by the
    client)."""
    client = EntryItem._get_connection().connection.client
    statuses: list[int] = []

    def before_send(request: Any, **_: Any) -> Any:
        if len(statuses) >= times:
            return None
        forwarded = urllib.request.Request(  # noqa: S310 (the moto server on 127.0.0.1)
            request.url, data=request.body, headers=dict(request.headers.items()), method=request.method
        )
        try:
            with urllib.request.urlopen(forwarded, timeout=30) as response:  # noqa: S310
                statuses.append(response.status)
        except urllib.error.HTTPError as error:
            statuses.append(error.code)
        raise lost_answer(kind, request.url)

    client.meta.events.register(EVENT, before_send)
    try:
        yield statuses
    finally:
        client.meta.events.unregister(EVENT, before_send)


def entries_of(kind: str) -> list[EntryItem]:
    return [e for e in EntryItem.scan(EntryItem.sk == "ENTRY") if e.kind == kind]


@pytest.mark.parametrize("kind", ["reset", "read-timeout"])
def test_botocore_resends_after_a_lost_answer_and_the_ledger_replays(
    moto_server: MotoServer, kind: str
) -> None:
    ledger = Ledger(sleep=lambda _s: None)
    wallet = user_account(f"lost-{kind}", "wallet", "CNY")
    request = EntryRequest(
        idempotency=IdempotencyKey("faults", f"one-{kind}", {"amount": 700}),
        kind=f"faults.{kind}",
        legs=[Leg(ISSUER, wallet, 700)],
        response={"credited": 700},
    )
    with answers_lost(kind, times=1) as statuses:
        result = ledger.transfer(request)
    assert statuses == [200]  # the first attempt committed on the server; its answer never arrived
    assert result.replayed and result.response == {"credited": 700}
    assert ledger.balance(wallet) == 700
    assert len(entries_of(f"faults.{kind}")) == 1
    assert reconcile().ok


@pytest.mark.parametrize("kind", ["reset", "read-timeout"])
def test_every_answer_lost_then_the_client_retries_the_post_with_its_key(
    moto_server: MotoServer, kind: str
) -> None:
    """Savings choice over the handler: 300 fen wallet -> purse, once, whatever the network did."""
    user = f"saver-{kind}"
    funded = invoke(
        "FundingFunction",
        eventbridge_event(
            "payments", "wallet.funded", {"funding_id": f"f-{user}", "user_id": user, "amount": 1_000}
        ),
    )
    assert funded["replayed"] is False
    api = Api("SavingsFunction")

    def choose() -> tuple[int, dict[str, Any], dict[str, str]]:
        return api.call(
            "POST",
            "/v1/stories/first-date/choices",
            route="/v1/stories/{story_id}/choices",
            path_parameters={"story_id": "first-date"},
            body={"chapter": 1, "choice_id": "postcard"},
            headers={"Idempotency-Key": f"choice-{kind}"},
            user=user,
        )

    with answers_lost(kind, times=100) as statuses:  # the network is down for the whole invocation
        status, body, headers = choose()
    assert statuses[0] == 200  # committed on the first attempt
    assert len(statuses) > 1  # botocore did resend (each resend hit the journal item's condition)
    assert all(s == 400 for s in statuses[1:])  # TransactionCanceled: the header exists
    assert status == 503
    assert headers["content-type"] == "application/problem+json"
    assert body["type"] == "contention"  # "busy, retry with the same Idempotency-Key"

    status, body, headers = choose()  # the client retries with the same key once the network is back
    assert status == 201, body
    assert headers.get("idempotent-replayed") == "true"
    assert body["amount"] == 300 and body["progress"]["chapter"] == 2

    ledger = Ledger(sleep=lambda _s: None)
    wallet, purse = user_account(user, "wallet", "CNY"), user_account(user, "purse", "CNY")
    assert ledger.balances([wallet, purse]) == {wallet: 700, purse: 300}
    assert len([e for e in entries_of("savings.choice") if e.scope.startswith(f"user:{user}|")]) == 1
    # a third attempt is still the same single entry
    assert choose()[0] == 201
    assert ledger.balances([wallet, purse]) == {wallet: 700, purse: 300}
    assert reconcile().ok


def test_a_network_error_outlasting_every_retry_surfaces_as_retries_exhausted(
    moto_server: MotoServer,
) -> None:
    ledger = Ledger(sleep=lambda _s: None)
    wallet = user_account("lost-all", "wallet", "CNY")
    request = EntryRequest(
        idempotency=IdempotencyKey("faults", "all-lost", {"amount": 5}),
        kind="faults.all-lost",
        legs=[Leg(ISSUER, wallet, 5)],
    )
    with answers_lost("reset", times=100) as statuses, pytest.raises(RetriesExhausted):
        ledger.transfer(request)
    assert statuses[0] == 200 and len(statuses) > 3  # committed once, then the ledger kept asking
    assert ledger.balance(wallet) == 5
    assert len(entries_of("faults.all-lost")) == 1
    assert ledger.transfer(request).replayed  # once the network is back, the same request replays
    assert ledger.balance(wallet) == 5


@pytest.mark.parametrize("kind", ["reset", "read-timeout"])
def test_answers_lost_past_botocore_attempts_are_retried_by_the_ledger(
    moto_server: MotoServer, kind: str
) -> None:
    ledger = Ledger(sleep=lambda _s: None)
    wallet = user_account(f"long-{kind}", "wallet", "CNY")
    request = EntryRequest(
        idempotency=IdempotencyKey("faults", f"long-{kind}", {"amount": 40}),
        kind=f"faults.long-{kind}",
        legs=[Leg(ISSUER, wallet, 40)],
        response={"credited": 40},
    )
    client = EntryItem._get_connection().connection.client
    botocore_attempts = client.meta.config.retries["total_max_attempts"]
    with answers_lost(kind, times=botocore_attempts + 1) as statuses:
        result = ledger.transfer(request)  # botocore gave up once; the ledger's own retry got through
    assert statuses[0] == 200 and len(statuses) == botocore_attempts + 1
    assert result.replayed and result.response == {"credited": 40}
    assert ledger.balance(wallet) == 40
    assert len(entries_of(f"faults.long-{kind}")) == 1

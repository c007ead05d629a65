"""Hypothesis-fuzzed event payloads for every EventBridge and SQS consumer of template.yaml.

A payload is built field by field from the contract's valid values, arbitrary JSON, or nothing, plus
stray fields. Each delivery must end one of two ways:

* applied: the detail is valid under the consumer's model, and exactly the money it names moved (a
  repeat of the same id moves nothing more);
* refused: ``ValidationFailed`` for EventBridge consumers (the invocation fails, is retried, lands in the
  DLQ), or the record reported in ``batchItemFailures`` for SQS consumers; and nothing was written.

Any other exception type fails the test, and the books reconcile after every run.
"""

from __future__ import annotations

import json
import string
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from infra.apigw import eventbridge_event
from infra.handlers import functions, invoke
from infra.template import sam_template
from reward_ledger import clock
from reward_ledger.errors import IdempotencyConflict, ValidationFailed
from reward_ledger.funding import WalletFunded
from reward_ledger.ledger import Ledger, reconcile, user_account
from reward_ledger.ledger.models import EntryItem
from reward_ledger.payments import PaymentCompleted
from reward_ledger.seeds import PaymentCompleted as BoxPayment

T0 = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)
MISSING = object()
FUZZ = settings(
    max_examples=30,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
ids = st.text(alphabet=string.ascii_letters + string.digits + "-_.", min_size=1, max_size=24)
users = st.text(alphabet=string.ascii_lowercase + string.digits, min_size=1, max_size=12).map(
    lambda s: f"fz-{s}"
)
amounts = st.integers(min_value=1, max_value=10**6)
instants = st.integers(min_value=-3 * 24 * 3600, max_value=3600).map(
    lambda s: (T0 + timedelta(seconds=s)).strftime("%Y-%m-%dT%H:%M:%SZ")
)
categories = st.sampled_from(["offline", "online", "transit", "bike", "utility", "unknown-category"])


def field(valid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly valid, sometimes arbitrary JSON, sometimes absent."""
    return st.one_of(valid, valid, valid, json_values, st.just(MISSING))


def detail(fields: dict[str, st.SearchStrategy[Any]]) -> st.SearchStrategy[dict[str, Any]]:
    base = st.fixed_dictionaries({name: field(strategy) for name, strategy in fields.items()})
    extra = st.dictionaries(st.text(min_size=1, max_size=8), json_values, max_size=2)

    def combine(parts: tuple[dict[str, Any], dict[str, Any]]) -> dict[str, Any]:
        chosen, stray = parts
        return {**stray, **{k: v for k, v in chosen.items() if v is not MISSING}}

    return st.tuples(base, extra).map(combine)


def entry_count() -> int:
    return sum(1 for _ in EntryItem.scan(EntryItem.sk == "ENTRY"))


def consumers_of(kind: str) -> set[str]:
    found = set()
    for logical_id, props in functions().items():
        for event in (props.get("Events") or {}).values():
            if event.get("Type") == kind:
                found.add(logical_id)
    return found


def test_every_event_consumer_of_the_template_is_fuzzed() -> None:
    assert sam_template()  # the template is the source of truth for who consumes what
    assert consumers_of("EventBridgeRule") == {
        "FundingFunction",
        "PaymentsFunction",
        "BoxesFunction",
        "CampaignTriggersFunction",
        "ProgramEventsFunction",
    }
    assert consumers_of("SQS") == {"WithdrawalWorkerFunction", "ExpiryWorkerFunction"}


def deliver(function: str, detail_type: str, payload: dict[str, Any]) -> tuple[str, Any]:
    """applied, refused (invalid detail) or conflict (an id seen before with other content)."""
    try:
        return "applied", invoke(function, eventbridge_event("payments", detail_type, payload))
    except ValidationFailed as exc:
        return "refused", exc
    except IdempotencyConflict as exc:
        return "conflict", exc


def valid(model: type[Any], payload: dict[str, Any]) -> Any:
    try:
        return model.model_validate(payload)
    except Exception:
        return None


# ---------------------------------------------------------------------- EventBridge consumers
@FUZZ
@given(payload=detail({"funding_id": ids, "user_id": users, "amount": amounts}))
def test_wallet_funded_is_applied_exactly_or_refused_without_a_write(
    ledger: Ledger, payload: dict[str, Any]
) -> None:
    parsed = valid(WalletFunded, payload)
    wallet = user_account(parsed.user_id, "wallet", "CNY") if parsed else None
    before_balance = ledger.balance(wallet) if wallet else 0
    before = entry_count()
    outcome, result = deliver("FundingFunction", "wallet.funded", payload)
    if parsed is None or outcome == "conflict":  # conflict: a funding id of an earlier example, other body
        assert outcome in ("refused", "conflict"), (payload, result)
        assert entry_count() == before
        assert (ledger.balance(wallet) if wallet else 0) == before_balance
    else:
        assert outcome == "applied", (payload, result)
        moved = 0 if result["replayed"] else parsed.amount
        assert ledger.balance(wallet) == before_balance + moved
        assert entry_count() == before + (0 if result["replayed"] else 1)
        again = deliver("FundingFunction", "wallet.funded", payload)
        assert again[0] == "applied" and again[1]["replayed"] is True
        assert ledger.balance(wallet) == before_balance + moved
    assert reconcile().ok


PAYMENT_FIELDS = {
    "payment_id": ids,
    "user_id": users,
    "amount": amounts,
    "category": categories,
    "occurred_at": instants,
}


@pytest.mark.parametrize(
    ("function", "model"), [("PaymentsFunction", PaymentCompleted), ("BoxesFunction", BoxPayment)]
)
def test_payment_completed_is_applied_once_or_refused_without_a_write(
    ledger: Ledger, function: str, model: type[Any]
) -> None:
    clock.set_now(T0)

    @FUZZ
    @given(payload=detail(PAYMENT_FIELDS))
    def run(payload: dict[str, Any]) -> None:
        parsed = valid(model, payload)
        before = entry_count()
        outcome, result = deliver(function, "payment.completed", payload)
        if parsed is None or outcome == "conflict":
            assert outcome in ("refused", "conflict"), (payload, result)
            assert entry_count() == before
            return
        assert outcome == "applied", (payload, result)
        written = entry_count() - before
        assert written in (0, 1)  # one entry per payment id, none for a category without rewards
        assert written == (1 if result.get("granted") and not result.get("replayed") else 0), result
        again = deliver(function, "payment.completed", payload)
        assert again[0] == "applied"
        assert entry_count() == before + written  # the redelivery moved nothing

    run()
    assert reconcile().ok


FUZZ_MERCHANT = "fz-shop"


def _fuzz_campaign(ledger: Ledger) -> None:
    """A merchant with an active cash campaign on payments, so that fuzzed payments can be awarded."""
    from reward_ledger.campaigns import lifecycle, merchants
    from reward_ledger.campaigns.spec import CampaignSpec
    from reward_ledger.ledger import IdempotencyKey

    key = IdempotencyKey("fuzz", "campaign")
    merchants.create_merchant(ledger, FUZZ_MERCHANT, "Fuzz shop", "fuzz", key)
    funding = merchants.MerchantFunded(funding_id="fz-funding", merchant_id=FUZZ_MERCHANT, amount=10**6)
    merchants.fund_merchant(ledger, funding)
    spec = CampaignSpec.model_validate(
        {
            "campaign_id": "fz-c",
            "name": "fuzz",
            "trigger": {"event": "payment.completed"},
            "effect": {"kind": "cash", "amount": 1},
            "limits": {"per_user_per_day": 2},
        }
    )
    lifecycle.create_campaign(ledger, FUZZ_MERCHANT, spec, "fuzz", key.derive("create"))
    lifecycle.activate(ledger, FUZZ_MERCHANT, "fz-c", 10**5, "fuzz", key.derive("activate"))


def test_payments_at_a_merchant_award_at_most_once_or_are_refused_without_a_write(ledger: Ledger) -> None:
    from reward_ledger.campaigns.triggers import PaymentAtMerchant

    _fuzz_campaign(ledger)
    merchant_ids = st.sampled_from([FUZZ_MERCHANT, FUZZ_MERCHANT, "fz-other"]) | ids

    @FUZZ
    @given(payload=detail({**PAYMENT_FIELDS, "merchant_id": merchant_ids}))
    def run(payload: dict[str, Any]) -> None:
        parsed = valid(PaymentAtMerchant, payload)
        before = entry_count()
        outcome, result = deliver("CampaignTriggersFunction", "payment.completed", payload)
        if parsed is None:
            assert outcome == "refused", (payload, result)
            assert entry_count() == before
            return
        assert outcome == "applied", (payload, result)
        paid = [o for o in result["outcomes"] if o["status"] == "awarded" and not o["replayed"]]
        assert entry_count() == before + len(paid) and len(paid) <= 1
        again = deliver("CampaignTriggersFunction", "payment.completed", payload)
        assert again[0] == "applied" and entry_count() == before + len(paid)  # never paid twice

    run()
    assert reconcile().ok


# ---------------------------------------------------------------------- SQS consumers
def sqs_records(bodies: list[str]) -> dict[str, Any]:
    return {
        "Records": [
            {
                "messageId": f"m{i}",
                "receiptHandle": f"r{i}",
                "body": body,
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:000000000000:fuzz",
                "awsRegion": "us-east-1",
            }
            for i, body in enumerate(bodies)
        ]
    }


def sqs_outcome(function: str, bodies: list[str]) -> set[str]:
    """Ids of the records the consumer reported as failed (all of them when the whole batch failed)."""
    try:
        answer = invoke(function, sqs_records(bodies))
    except BatchProcessingError:
        return {f"m{i}" for i in range(len(bodies))}
    return {failure["itemIdentifier"] for failure in answer["batchItemFailures"]}


bodies_of_json = json_values.map(json.dumps)
raw_bodies = st.one_of(st.text(max_size=40), bodies_of_json)


@pytest.mark.parametrize(
    ("function", "shaped"),
    [
        ("WithdrawalWorkerFunction", detail({"withdrawal_id": ids}).map(json.dumps)),
        (
            "ExpiryWorkerFunction",
            detail({"day": st.dates().map(str), "shard": st.integers(-2, 10)}).map(json.dumps),
        ),
    ],
)
def test_sqs_consumers_report_bad_messages_and_write_nothing(
    ledger: Ledger, function: str, shaped: st.SearchStrategy[str]
) -> None:
    clock.set_now(T0)
    fund_entries = entry_count()

    @FUZZ
    @given(bodies=st.lists(st.one_of(shaped, raw_bodies), min_size=1, max_size=4))
    def run(bodies: list[str]) -> None:
        failed = sqs_outcome(function, bodies)
        assert failed <= {f"m{i}" for i in range(len(bodies))}
        assert entry_count() == fund_entries  # nothing exists to pay out or expire: nothing may be written

    run()
    assert reconcile().ok


def test_payments_earn_points_at_most_once_or_are_refused_without_a_write(ledger: Ledger) -> None:
    """The programs' consumer: a malformed payment writes nothing; a valid one, delivered twice, once."""
    from functions.program_events.app import ProgramPayment
    from reward_ledger import loyalty
    from reward_ledger.ledger import IdempotencyKey

    _fuzz_campaign(ledger)  # the merchant exists (and has prepaid money)
    body = loyalty.ProgramBody.model_validate({"earn_per_yuan": 1, "points_valid_days": 30})
    loyalty.set_program(ledger, FUZZ_MERCHANT, body, "fuzz", IdempotencyKey("fuzz", "loyalty"))
    merchant_ids = st.sampled_from([FUZZ_MERCHANT, FUZZ_MERCHANT, "fz-other"]) | ids

    @FUZZ
    @given(payload=detail({**PAYMENT_FIELDS, "merchant_id": merchant_ids}))
    def run(payload: dict[str, Any]) -> None:
        parsed = valid(ProgramPayment, payload)
        before = entry_count()
        outcome, result = deliver("ProgramEventsFunction", "payment.completed", payload)
        if parsed is None:
            assert outcome == "refused", (payload, result)
            assert entry_count() == before
            return
        assert outcome == "applied", (payload, result)
        after = entry_count()
        assert after - before <= 2  # at most the points and the invite's qualification
        again = deliver("ProgramEventsFunction", "payment.completed", payload)
        assert again[0] == "applied" and entry_count() == after  # never earned twice

    run()
    assert reconcile().ok

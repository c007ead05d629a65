"""botocore's JSON data is loaded once per process, while every session stays a session of its own."""

from __future__ import annotations

import threading
from typing import Any

from botocore.handlers import BUILTIN_HANDLERS
from pynamodb.connection import Connection

from reward_ledger import aws
from reward_ledger.ledger.models import EntryItem


def test_every_session_is_its_own_over_one_shared_data_loader() -> None:
    table_session = EntryItem._get_connection().connection.session  # the ledger table's one connection
    other_session = Connection(region="us-east-1").session  # any other PynamoDB connection
    assert other_session is not table_session  # hooks registered on one session stay on it
    loaders = {id(s.get_component("data_loader")) for s in (table_session, other_session, aws.session())}
    assert len(loaders) == 1
    sqs = aws.client("sqs", "us-east-1")
    assert sqs.meta.service_model.service_name == "sqs"
    assert sqs.meta.region_name == "us-east-1"


def test_a_builtin_handler_added_later_reaches_the_sessions_made_after_it() -> None:
    """moto, the tests' IAM check and the benches' counters add botocore built-in handlers when they are
    imported: a session made afterwards must run them, whatever was made before."""
    aws.new_session()  # a session (and the shared loader) made before the handler is added
    seen: list[str] = []

    def marker(**kwargs: Any) -> None:
        seen.append(kwargs["event_name"])

    BUILTIN_HANDLERS.append(("reward-ledger-probe", marker))
    try:
        later = aws.new_session().create_client("dynamodb", region_name="us-east-1")
        later.meta.events.emit("reward-ledger-probe")
    finally:
        BUILTIN_HANDLERS.remove(("reward-ledger-probe", marker))
    assert seen == ["reward-ledger-probe"]


def test_another_thread_gets_a_client_session_of_its_own() -> None:
    """botocore's client creation is not thread safe: PynamoDB keeps a session per thread, so do we."""
    seen: list[object] = []
    worker = threading.Thread(target=lambda: seen.append(aws.session()))
    worker.start()
    worker.join()
    assert seen and seen[0] is not aws.session()

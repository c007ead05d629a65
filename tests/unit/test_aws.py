"""One botocore session per thread, shared by every model's PynamoDB connection and the AWS clients."""

from __future__ import annotations

import threading

from reward_ledger import aws
from reward_ledger.ledger.models import BalanceItem, EntryItem
from reward_ledger.reminders.models import ReminderPrefs


def test_every_models_connection_and_the_clients_share_the_threads_session() -> None:
    sessions = {
        id(model._get_connection().connection.session) for model in (BalanceItem, EntryItem, ReminderPrefs)
    }
    assert sessions == {id(aws.session())}
    sqs = aws.client("sqs", "us-east-1")
    assert sqs.meta.service_model.service_name == "sqs"
    assert sqs.meta.region_name == "us-east-1"


def test_another_thread_gets_a_session_of_its_own() -> None:
    """botocore's client creation is not thread safe: PynamoDB keeps a session per thread, so do we."""
    seen: list[object] = []
    worker = threading.Thread(target=lambda: seen.append(aws.session()))
    worker.start()
    worker.join()
    assert seen and seen[0] is not aws.session()

"""One botocore session per thread of the process, shared by every AWS client the code makes.

Why: a botocore session loads its endpoint rules and each service's model from JSON the first time it
makes a client, and PynamoDB gives every model class a connection of its own with a session of its own.
A first invocation that touched three models built three sessions and loaded the DynamoDB model three
times (about 50 ms of CPU each; a client from a session that already made one costs about 3 ms), and
every model first used later in a warm environment paid it again. With :func:`share_with_pynamodb` (applied
by ``reward_ledger.ledger.models``, which every model's ``Meta`` comes from) PynamoDB's connections take
their session from :func:`session`, and handlers make their SQS and EventBridge clients with
:func:`client` from the same session instead of boto3's default one.

One session per thread, as PynamoDB keeps it: botocore's client creation is not thread safe.
"""

from __future__ import annotations

import threading
from typing import Any

import botocore.session
from pynamodb.connection import base as pynamodb_connection

_LOCAL = threading.local()


def session() -> botocore.session.Session:
    """This thread's botocore session (made on first use)."""
    found: botocore.session.Session | None = getattr(_LOCAL, "session", None)
    if found is None:
        found = _LOCAL.session = botocore.session.get_session()
    return found


def client(service: str, region: str | None = None) -> Any:
    """A botocore client of ``service`` from the shared session (what ``boto3.client`` returns)."""
    return session().create_client(service, region_name=region)


def share_with_pynamodb() -> None:
    """PynamoDB's connections take this thread's shared session instead of a new one each.

    PynamoDB makes a connection's session with ``get_session()`` of its connection module; credentials
    set on a model's ``Meta`` would be set on that session, so they must not be (none are: Lambda's
    role and the environment's credentials are every model's)."""
    pynamodb_connection.get_session = session  # type: ignore[attr-defined]

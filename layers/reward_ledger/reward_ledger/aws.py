"""botocore sessions that load botocore's JSON data once per process, for PynamoDB and the AWS clients.

Why: a botocore session loads the endpoint rules and each service's model from JSON the first time it
makes a client (50-100 ms of CPU). The ledger table's models share one PynamoDB connection
(``reward_ledger.ledger.table``), but every other session still paid it: the workers' SQS and EventBridge
clients, any PynamoDB connection made outside the table's, and each new table's connection in the
tests. Here every session gets the same ``data_loader`` (botocore's component that reads and caches
those files), so a later session and client cost about 11 ms.

Every PynamoDB connection still makes a session of its own (:func:`new_session`, installed by
:func:`share_with_pynamodb`, which ``reward_ledger.ledger.models`` applies: every model's ``Meta`` comes
from there) when it needs one: a session registers botocore's built-in handlers as they are when it is
made, so handlers added later in the process (moto's, the tests' IAM check, the benches' counters) reach
every connection made after them, as before. The SQS and EventBridge clients the workers make come
from one session per thread (:func:`client`), as ``boto3.client`` took them from boto3's default
session, without importing boto3.
"""

from __future__ import annotations

import threading
from typing import Any

import botocore.loaders
import botocore.session
from pynamodb.connection import base as pynamodb_connection

_LOCAL = threading.local()
_LOADER: list[botocore.loaders.Loader] = []  # the one data loader, made by the first session


def new_session() -> botocore.session.Session:
    """A new botocore session whose JSON data (endpoints, service models) is the process's shared cache."""
    made = botocore.session.get_session()
    if _LOADER:
        made.register_component("data_loader", _LOADER[0])
    else:
        _LOADER.append(made.get_component("data_loader"))
    return made


def session() -> botocore.session.Session:
    """This thread's session for the clients the code makes (botocore's client creation is not thread safe)."""
    found: botocore.session.Session | None = getattr(_LOCAL, "session", None)
    if found is None:
        found = _LOCAL.session = new_session()
    return found


def client(service: str, region: str | None = None) -> Any:
    """A botocore client of ``service`` (what ``boto3.client`` returns), from this thread's session."""
    return session().create_client(service, region_name=region)


def share_with_pynamodb() -> None:
    """PynamoDB's connections make their sessions with :func:`new_session`.

    PynamoDB makes a connection's session with ``get_session()`` of its connection module; the credentials
    a model's ``Meta`` may name are then set on that connection's own session, as before."""
    pynamodb_connection.get_session = new_session  # type: ignore[attr-defined]

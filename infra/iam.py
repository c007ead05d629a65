"""IAM as AWS would enforce it, for functions run in process (tests) and in workers (the local stack).

In AWS a function whose role lacks an action gets ``AccessDeniedException`` on the call; on moto nothing
is checked, so a missing permission would only show after a deploy. While a template function runs
(``acting_as``), every AWS call it makes passes a botocore ``before-call`` hook that derives the IAM actions
the call needs (a ``TransactWriteItems`` needs ``PutItem``/``UpdateItem``/``DeleteItem``/
``ConditionCheckItem`` per item, as DynamoDB authorises it; an SQS batch call needs its single
counterpart's action) and refuses the call, with the error AWS
would answer, when the function's role (from the translated template, so SAM's generated statements
count) does not allow them. Actions are checked, resources are not (``tests/security/test_iam.py``
checks that no statement has a wildcard resource). Calls made outside a function (test set-up, the
local stack's own plumbing) are not checked. Services checked: DynamoDB, SQS, SSM, EventBridge. The local
stack's workers are separate processes: the embedded AWS (:mod:`infra.aws_endpoint`) applies the same
:func:`denial` to every request signed with a function's credentials.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from typing import Any

from botocore.exceptions import ClientError
from botocore.handlers import BUILTIN_HANDLERS

from infra.template import cloudformation

CHECKED_SERVICES = {"dynamodb": "dynamodb", "sqs": "sqs", "ssm": "ssm", "eventbridge": "events"}
TRANSACT_ITEM_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}
# SQS authorises a batch call with its single counterpart's action
SQS_BATCH_ACTIONS = {
    "SendMessageBatch": "SendMessage",
    "DeleteMessageBatch": "DeleteMessage",
    "ChangeMessageVisibilityBatch": "ChangeMessageVisibility",
}

_acting: ContextVar[tuple[str, frozenset[str]] | None] = ContextVar("iam_acting_function", default=None)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def role_actions(cfn: dict[str, Any], logical_id: str) -> frozenset[str]:
    """The actions a function's role allows in translated CloudFormation ``cfn`` (inline and
    SAM-generated statements, plus the SQS poller policy SAM attaches to queue consumers)."""
    resources = cfn.get("Resources", {})
    role_ref = resources[logical_id].get("Properties", {}).get("Role")
    role_id = role_ref["Fn::GetAtt"][0] if isinstance(role_ref, dict) else f"{logical_id}Role"
    role = resources.get(role_id, {}).get("Properties", {})
    actions: set[str] = set()
    for policy in role.get("Policies", []):
        for statement in _as_list(policy["PolicyDocument"]["Statement"]):
            if statement.get("Effect") == "Allow":
                actions.update(str(a) for a in _as_list(statement.get("Action", [])))
    if "arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole" in role.get(
        "ManagedPolicyArns", []
    ):
        actions.update({"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"})
    return frozenset(actions)


@cache
def allowed_actions(logical_id: str) -> frozenset[str]:
    """What ``logical_id`` of the project's template.yaml may do."""
    return role_actions(cloudformation(), logical_id)


def required_actions(service: str, operation: str, params: dict[str, Any]) -> set[str]:
    """The IAM actions AWS checks for one API call."""
    prefix = CHECKED_SERVICES[service]
    if operation == "TransactWriteItems":
        return {
            f"dynamodb:{TRANSACT_ITEM_ACTIONS[kind]}"
            for item in params.get("TransactItems", [])
            for kind in item
            if kind in TRANSACT_ITEM_ACTIONS
        }
    if operation == "TransactGetItems":
        return {"dynamodb:GetItem"}
    if prefix == "sqs":
        return {f"sqs:{SQS_BATCH_ACTIONS.get(operation, operation)}"}
    return {f"{prefix}:{operation}"}


def denial(function: str, allowed: frozenset[str], service: str, operation: str, params: Any) -> str | None:
    """Why AWS would refuse ``service.operation`` to ``function`` whose role allows ``allowed`` (None: it
    would not). ``service`` is botocore's name; services not in :data:`CHECKED_SERVICES` pass."""
    if service not in CHECKED_SERVICES:
        return None
    api_params = params if isinstance(params, dict) else {}
    missing = required_actions(service, operation, api_params) - allowed
    if not missing:
        return None
    return (
        f"{function} is not authorized to perform: {', '.join(sorted(missing))} "
        "(its role in template.yaml does not allow it)"
    )


def _check(model: Any, params: dict[str, Any], **_: Any) -> None:
    acting = _acting.get()
    if acting is None:
        return
    body = params.get("body") or b"{}"
    try:
        api_params = json.loads(body) if body.strip()[:1] in (b"{", "{") else {}
    except ValueError:
        api_params = {}
    reason = denial(*acting, str(model.service_model.service_name), model.name, api_params)
    if reason is not None:
        raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": reason}}, model.name)


@contextmanager
def acting_as(logical_id: str, allowed: frozenset[str] | None = None) -> Iterator[None]:
    """Run the enclosed code as function ``logical_id`` whose role allows ``allowed`` (default: its
    role in the project's template.yaml): its calls are checked."""
    token = _acting.set((logical_id, allowed_actions(logical_id) if allowed is None else allowed))
    try:
        yield
    finally:
        _acting.reset(token)


# Every client created from now on checks its calls (clients built before this import are not hooked).
BUILTIN_HANDLERS.append(("before-call", _check))

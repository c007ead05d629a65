"""Least privilege in template.yaml: no wildcard action, no wildcard resource, in any role or queue policy.

Checked on the translated CloudFormation (``infra.template.cloudformation()``), so the statements SAM
writes itself (dead-letter queue policies) are checked too. The only exceptions are the AWS managed
policies SAM attaches on its own, listed in ``SAM_MANAGED_POLICIES`` with why (docs/reliability.md):
they are not in the template and cannot be narrowed from it.

The roles are also enforced: while a template function runs in process (handler tests), or in a local
stack worker (checked by the embedded AWS, ``tests/local/test_workers.py``), a call its role does not
allow fails with ``AccessDeniedException`` (``infra/iam.py``), so every handler test also proves the role
is sufficient; the last tests here prove the in-process enforcement itself.
"""

from __future__ import annotations

from typing import Any

import pytest
from pynamodb.exceptions import TransactWriteError

from infra.iam import acting_as, allowed_actions, required_actions
from infra.template import cloudformation, sam_template
from reward_ledger.ledger import EntryRequest, IdempotencyKey, Ledger, Leg, external_account, user_account

SAM_MANAGED_POLICIES = {
    # every function: CloudWatch Logs (logs:CreateLogGroup/CreateLogStream/PutLogEvents on "*")
    "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
    # Tracing: Active (X-Ray PutTraceSegments/PutTelemetryRecords... on "*": X-Ray has no resource ARNs)
    "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess",
    # SQS event source mappings (sqs:ReceiveMessage/DeleteMessage/GetQueueAttributes on "*")
    "arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole",
    # DynamoDB stream event source mappings (dynamodb:DescribeStream/GetRecords/GetShardIterator/
    # ListStreams on "*"; used by the Lambda service to read the stream, only on the publisher)
    "arn:aws:iam::aws:policy/service-role/AWSLambdaDynamoDBExecutionRole",
}


# The one path-prefix grant, and who has it with which action: games are registered at run time, so their
# secrets' parameter names are data (docs/games.md). The games function reads, the games' operator
# function writes, nothing else touches the path, and no other statement may end in a wildcard.
GAME_SECRETS = "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/reward-ledger/games/*"
PATH_PREFIX_GRANTS = {
    ("GamesFunctionRole", GAME_SECRETS): ["ssm:GetParameter"],
    ("GamesAdminFunctionRole", GAME_SECRETS): ["ssm:PutParameter"],
}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def resource_text(resource: Any) -> str | None:
    """The ARN text of a resource (``Fn::Sub`` template or literal); None for ``Ref``/``Fn::GetAtt``."""
    if isinstance(resource, str):
        return resource
    if isinstance(resource, dict) and "Fn::Sub" in resource:
        sub = resource["Fn::Sub"]
        return str(sub[0] if isinstance(sub, list) else sub)
    if isinstance(resource, dict) and ("Fn::GetAtt" in resource or "Ref" in resource):
        return None  # a named resource of this template: never a wildcard
    if isinstance(resource, dict) and "Fn::Join" in resource:
        delimiter, parts = resource["Fn::Join"]
        return str(delimiter).join(p if isinstance(p, str) else "x" for p in parts)
    raise AssertionError(f"unexpected resource expression {resource!r}")


def statements() -> list[tuple[str, dict[str, Any]]]:
    found: list[tuple[str, dict[str, Any]]] = []
    for logical_id, resource in cloudformation()["Resources"].items():
        props = resource.get("Properties", {})
        if resource["Type"] == "AWS::IAM::Role":
            for policy in props.get("Policies", []):
                for statement in as_list(policy["PolicyDocument"]["Statement"]):
                    found.append((f"{logical_id}/{policy['PolicyName']}", statement))
        elif resource["Type"] in ("AWS::SQS::QueuePolicy", "AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            for statement in as_list(props["PolicyDocument"]["Statement"]):
                found.append((logical_id, statement))
    return found


STATEMENTS = statements()


def test_there_are_policies_to_check() -> None:
    functions = [r for r in sam_template()["Resources"].values() if r["Type"] == "AWS::Serverless::Function"]
    roles = {name.split("/")[0] for name, _ in STATEMENTS if "/" in name}  # inline role policies
    assert len(roles) == len(functions)  # every function has its own inline least-privilege policy


@pytest.mark.parametrize(("where", "statement"), STATEMENTS, ids=[w for w, _ in STATEMENTS])
def test_no_statement_grants_a_wildcard(where: str, statement: dict[str, Any]) -> None:
    assert statement.get("Effect") == "Allow"
    assert "NotAction" not in statement and "NotResource" not in statement
    for action in as_list(statement["Action"]):
        assert isinstance(action, str) and "*" not in action, f"{where}: wildcard action {action!r}"
    for resource in as_list(statement["Resource"]):
        text = resource_text(resource)
        if text is None:
            continue
        granted = PATH_PREFIX_GRANTS.get((where.split("/")[0], text))
        if granted is not None:
            assert as_list(statement["Action"]) == granted, f"{where}: only {granted} on {text}"
            continue
        assert text != "*" and not text.endswith(("/*", ":*")), f"{where}: wildcard resource {text!r}"
        assert "*" not in text, f"{where}: wildcard in resource {text!r}"


def test_the_game_secrets_path_is_granted_exactly_as_documented() -> None:
    found = {
        (where.split("/")[0], resource_text(resource)): as_list(statement["Action"])
        for where, statement in STATEMENTS
        for resource in as_list(statement["Resource"])
        if "parameter/reward-ledger/games" in (resource_text(resource) or "")
    }
    assert found == PATH_PREFIX_GRANTS


def test_only_the_documented_sam_managed_policies_are_attached() -> None:
    attached = {
        arn
        for resource in cloudformation()["Resources"].values()
        if resource["Type"] == "AWS::IAM::Role"
        for arn in resource["Properties"].get("ManagedPolicyArns", [])
    }
    assert attached <= SAM_MANAGED_POLICIES, attached - SAM_MANAGED_POLICIES


def test_the_event_source_managed_policies_only_go_to_their_consumers() -> None:
    sam = sam_template()["Resources"]
    for logical_id, resource in cloudformation()["Resources"].items():
        if resource["Type"] != "AWS::IAM::Role":
            continue
        function = logical_id.removesuffix("Role")
        events = (sam[function]["Properties"].get("Events") or {}).values()
        consumes_sqs = any(e.get("Type") == "SQS" for e in events)
        has_policy = any(
            "AWSLambdaSQSQueueExecutionRole" in arn
            for arn in resource["Properties"].get("ManagedPolicyArns", [])
        )
        assert has_policy == consumes_sqs, function
        reads_stream = any(e.get("Type") == "DynamoDB" for e in events)
        has_stream_policy = any(
            "AWSLambdaDynamoDBExecutionRole" in arn
            for arn in resource["Properties"].get("ManagedPolicyArns", [])
        )
        assert has_stream_policy == reads_stream, function


def test_only_the_reconciliation_job_may_scan_the_table() -> None:
    scanners = {
        where.split("/")[0]
        for where, statement in STATEMENTS
        if any(a == "dynamodb:Scan" for a in as_list(statement["Action"]))
    }
    assert scanners == {"ReconcileFunctionRole"}


# ------------------------------------------------ the roles are enforced when functions run in process
def test_a_function_acting_outside_its_role_is_refused_as_aws_would_and_writes_nothing(
    ledger: Ledger,
) -> None:
    wallet = user_account("iam-user", "wallet", "CNY")
    request = EntryRequest(
        idempotency=IdempotencyKey("iam", "fund-1", {}),
        kind="iam.test",
        legs=[Leg(external_account("iam", "CNY"), wallet, 5)],
    )
    with acting_as("AccountsFunction"), pytest.raises(TransactWriteError) as refused:  # a read-only role
        ledger.transfer(request)
    assert refused.value.cause_response_code == "AccessDeniedException"
    assert "dynamodb:PutItem" in str(refused.value.cause) and "dynamodb:UpdateItem" in str(
        refused.value.cause
    )
    assert ledger.balance(wallet) == 0 and ledger.entry(request.entry_id) is None
    with acting_as("FundingFunction"):  # its role allows the transaction's items
        assert ledger.transfer(request).replayed is False
    assert ledger.balance(wallet) == 5


def test_the_actions_a_call_needs_are_the_ones_aws_checks() -> None:
    transaction = {
        "TransactItems": [
            {"Put": {}},
            {"Update": {}},
            {"ConditionCheck": {}},
            {"Delete": {}},
        ]
    }
    assert required_actions("dynamodb", "TransactWriteItems", transaction) == {
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:ConditionCheckItem",
        "dynamodb:DeleteItem",
    }
    assert required_actions("dynamodb", "TransactWriteItems", {"TransactItems": [{"Put": {}}]}) == {
        "dynamodb:PutItem"
    }
    assert required_actions("sqs", "SendMessageBatch", {}) == {"sqs:SendMessage"}
    assert required_actions("dynamodb", "Query", {}) == {"dynamodb:Query"}
    assert required_actions("eventbridge", "PutEvents", {}) == {"events:PutEvents"}


def test_every_function_has_a_role_the_checker_can_read() -> None:
    for logical_id, resource in sam_template()["Resources"].items():
        if resource["Type"] == "AWS::Serverless::Function":
            assert allowed_actions(logical_id), f"{logical_id}: no action allowed at all"

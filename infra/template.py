"""template.yaml as data: the single source of truth for tables, functions, routes, rules and schedules.

Tests and the local stack both build their DynamoDB tables from here, so code and infrastructure cannot
drift. The SAM template is translated offline with aws-sam-translator (code locations become ``s3://``
placeholders; no managed policy is looked up).
"""

from __future__ import annotations

import copy
from functools import cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template.yaml"
LOCAL_REGION = "us-east-1"


class _NoManagedPolicies:
    """The translator asks for AWS managed policy ARNs only when a template names one; ours do not."""

    def load(self) -> dict[str, str]:
        return {}


@cache
def sam_template(path: Path = TEMPLATE) -> dict[str, Any]:
    """The SAM template as plain dicts (intrinsics such as !Ref become {"Ref": ...})."""
    from cfnlint.decode import cfn_yaml  # imported when needed: cfn-lint takes seconds to import

    loaded: dict[str, Any] = _plain(cfn_yaml.load(str(path)))
    return loaded


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, str):
        return str(value)
    return value


@cache
def cloudformation(path: Path = TEMPLATE) -> dict[str, Any]:
    """The template translated to plain CloudFormation, code locations replaced by s3 placeholders."""
    from boto3.session import Session
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator

    sam = copy.deepcopy(sam_template(path))
    for logical_id, resource in sam.get("Resources", {}).items():
        props = resource.get("Properties", {})
        if resource.get("Type") == "AWS::Serverless::Function" and "CodeUri" in props:
            props["CodeUri"] = f"s3://local-code/{logical_id}.zip"
        if resource.get("Type") == "AWS::Serverless::LayerVersion":
            props["ContentUri"] = f"s3://local-code/{logical_id}.zip"
    translator = Translator({}, Parser(), boto_session=Session(region_name=LOCAL_REGION))
    result: dict[str, Any] = translator.translate(
        sam, parameter_values={}, get_managed_policy_map=_NoManagedPolicies().load
    )
    return result


def resources_of_type(resource_type: str, path: Path = TEMPLATE) -> dict[str, dict[str, Any]]:
    return {
        logical_id: resource
        for logical_id, resource in cloudformation(path).get("Resources", {}).items()
        if resource.get("Type") == resource_type
    }


def table_definitions(path: Path = TEMPLATE) -> dict[str, dict[str, Any]]:
    """``CreateTable`` arguments for every ``AWS::DynamoDB::Table``, keyed by logical id."""
    return table_definitions_in(cloudformation(path))


def table_definitions_in(cfn: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """``CreateTable`` arguments for the tables of an already translated template (``cloudformation()``)."""
    tables: dict[str, dict[str, Any]] = {}
    for logical_id, resource in cfn.get("Resources", {}).items():
        if resource.get("Type") != "AWS::DynamoDB::Table":
            continue
        props = resource["Properties"]
        args: dict[str, Any] = {
            "TableName": props.get("TableName", logical_id),
            "AttributeDefinitions": props["AttributeDefinitions"],
            "KeySchema": props["KeySchema"],
            "BillingMode": props.get("BillingMode", "PROVISIONED"),
        }
        if "GlobalSecondaryIndexes" in props:
            args["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
        if "StreamSpecification" in props:  # the stream the publisher reads (events out)
            args["StreamSpecification"] = {"StreamEnabled": True, **props["StreamSpecification"]}
        if args["BillingMode"] == "PROVISIONED":
            args["ProvisionedThroughput"] = props["ProvisionedThroughput"]
        tables[logical_id] = args
    return tables


def create_tables(dynamodb_client: Any, path: Path = TEMPLATE, *, suffix: str = "") -> dict[str, str]:
    """Create the template's tables (for moto); returns logical id -> physical table name.

    Also installs :mod:`infra.moto_patches` (serialisable transactions with per-item rollback).
    """
    from infra.moto_patches import install

    install()
    names: dict[str, str] = {}
    for logical_id, args in table_definitions(path).items():
        args = {**args, "TableName": args["TableName"] + suffix}
        dynamodb_client.create_table(**args)
        names[logical_id] = args["TableName"]
    return names

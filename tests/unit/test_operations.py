"""The template's dashboard and alarms watch metrics the code really emits, and every alarm pages."""

from __future__ import annotations

import json
import re
from typing import Any

from infra.template import ROOT, sam_template

NAMESPACE = "RewardLedger"


def _resources(kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in sam_template()["Resources"].items() if v["Type"] == kind}


def _source() -> str:
    files = [*(ROOT / "functions").rglob("*.py"), *(ROOT / "layers" / "reward_ledger").rglob("*.py")]
    return "\n".join(path.read_text() for path in files)


def _dashboard_metric_names() -> set[str]:
    (dashboard,) = _resources("AWS::CloudWatch::Dashboard").values()
    body = json.loads(dashboard["Properties"]["DashboardBody"]["Fn::Sub"])
    names = set()
    for widget in body["widgets"]:
        for row in widget["properties"]["metrics"]:
            if isinstance(row[0], str) and row[0] == NAMESPACE:
                names.add(row[1])
            elif isinstance(row[0], dict) and "SEARCH" in row[0].get("expression", ""):
                found = re.search(r"\{" + NAMESPACE + r",[^}]*\} MetricName=\"(\w+)\"", row[0]["expression"])
                assert found, row[0]["expression"]
                names.add(found.group(1))
    return names


def test_every_project_metric_on_the_dashboard_and_in_alarms_is_emitted_by_the_code() -> None:
    names = _dashboard_metric_names()
    names |= {
        alarm["Properties"]["MetricName"]
        for alarm in _resources("AWS::CloudWatch::Alarm").values()
        if alarm["Properties"].get("Namespace") == NAMESPACE
    }
    assert {
        "EntriesCommitted",
        "Refusals",
        "CampaignBudgetSpent",
        "SweepLagSeconds",
        "ReconcileFindings",
    } <= names
    source = _source()
    missing = {name for name in names if f'"{name}"' not in source}
    assert not missing, f"dashboard or alarms watch metrics no code emits: {missing}"


def test_every_alarm_pages_the_alert_topic() -> None:
    alarms = _resources("AWS::CloudWatch::Alarm")
    assert {
        "LambdaThrottlesAlarm",
        "LedgerTableThrottlesAlarm",
        "Api5xxAlarm",
        "WorkerErrorsAlarm",
        "ConsumerErrorsAlarm",
        "PublisherIteratorAgeAlarm",
    } <= set(alarms)
    for name, alarm in alarms.items():
        assert alarm["Properties"].get("AlarmActions") == [{"Ref": "AlertTopic"}], name


def test_every_dead_letter_queue_has_an_alarm_and_a_dashboard_line() -> None:
    template = sam_template()
    resources = template["Resources"]
    dlqs = set()
    for resource in resources.values():
        props = resource.get("Properties") or {}
        targets = [
            (props.get("RedrivePolicy") or {}).get("deadLetterTargetArn"),  # a queue's redrive
            (props.get("DeadLetterQueue") or {}).get("TargetArn"),  # a function's asynchronous DLQ
        ]
        for event in (props.get("Events") or {}).values():
            event_props = event.get("Properties") or {}
            targets.append((event_props.get("DeadLetterConfig") or {}).get("Arn"))  # an EventBridge rule's
            on_failure = (event_props.get("DestinationConfig") or {}).get("OnFailure") or {}
            targets.append(on_failure.get("Destination"))  # a stream mapping's on-failure destination
        dlqs |= {
            target["Fn::GetAtt"][0]
            for target in targets
            if isinstance(target, dict) and "Fn::GetAtt" in target
        }
    assert {"CampaignEventsDLQ", "PublisherDLQ", "ExpiryDLQ", "FundingEventsDLQ"} <= dlqs
    alarmed = {
        dim["Value"]["Fn::GetAtt"][0]
        for alarm in _resources("AWS::CloudWatch::Alarm").values()
        for dim in alarm["Properties"].get("Dimensions", [])
        if dim["Name"] == "QueueName"
    }
    assert dlqs <= alarmed
    body = resources["OperationsDashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    assert all(f"${{{dlq}.QueueName}}" in body for dlq in dlqs)


def test_every_worker_function_is_in_an_errors_alarm_and_on_the_dashboard() -> None:
    """A function not behind the HTTP API (consumer, queue worker, schedule) has no client to see it fail."""
    resources = sam_template()["Resources"]
    workers = {
        lid
        for lid, resource in _resources("AWS::Serverless::Function").items()
        if any(event["Type"] != "HttpApi" for event in (resource["Properties"].get("Events") or {}).values())
    }
    assert {"PublisherFunction", "CampaignTriggersFunction", "ReminderFinderFunction"} <= workers
    watched = {
        query["MetricStat"]["Metric"]["Dimensions"][0]["Value"]["Ref"]
        for alarm in _resources("AWS::CloudWatch::Alarm").values()
        for query in alarm["Properties"].get("Metrics", [])
        if "MetricStat" in query and query["MetricStat"]["Metric"]["MetricName"] == "Errors"
    }
    assert workers <= watched, f"no errors alarm for {workers - watched}"
    body = json.loads(resources["OperationsDashboard"]["Properties"]["DashboardBody"]["Fn::Sub"])
    on_dashboard = {
        row[3].strip("${}")
        for widget in body["widgets"]
        for row in widget["properties"]["metrics"]
        if row[:3] == ["AWS/Lambda", "Errors", "FunctionName"]
    }
    assert workers <= on_dashboard, f"no dashboard errors line for {workers - on_dashboard}"

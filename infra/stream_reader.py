"""Reading a table's DynamoDB stream from moto, and the stream event source mappings of the template.

moto keeps a table's stream records and answers the DynamoDB Streams API, but only on the regional
endpoint (``streams.dynamodb.<region>.amazonaws.com``): botocore's default account endpoint for calls
that carry a stream ARN answers 404, so the reader pins the endpoint (or follows a local AWS endpoint).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from infra.template import LOCAL_REGION, cloudformation


def streams_client(endpoint_url: str | None = None) -> Any:
    import boto3

    endpoint = (
        endpoint_url
        or os.environ.get("AWS_ENDPOINT_URL_DYNAMODB_STREAMS")
        or os.environ.get("AWS_ENDPOINT_URL")  # moto on a local endpoint
        or f"https://streams.dynamodb.{LOCAL_REGION}.amazonaws.com"
    )
    return boto3.client("dynamodbstreams", region_name=LOCAL_REGION, endpoint_url=endpoint)


def _jsonable_record(record: dict[str, Any], stream_arn: str) -> dict[str, Any]:
    """A record as Lambda delivers it: JSON, with the event source's ARN."""
    change = dict(record["dynamodb"])
    created = change.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        change["ApproximateCreationDateTime"] = int(created.timestamp())
    return {**record, "dynamodb": change, "eventSourceARN": stream_arn, "awsRegion": LOCAL_REGION}


class ShardReader:
    """Reads one table's stream (every shard moto has: one) from the start, in order."""

    def __init__(self, table_name: str, endpoint_url: str | None = None) -> None:
        import boto3

        dynamodb = boto3.client("dynamodb", region_name=LOCAL_REGION, endpoint_url=endpoint_url)
        self.stream_arn = str(dynamodb.describe_table(TableName=table_name)["Table"]["LatestStreamArn"])
        self.client = streams_client(endpoint_url)
        shards = self.client.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]["Shards"]
        self.iterators = [
            self.client.get_shard_iterator(
                StreamArn=self.stream_arn, ShardId=s["ShardId"], ShardIteratorType="TRIM_HORIZON"
            )["ShardIterator"]
            for s in shards
        ]

    def read(self, limit: int = 1000) -> list[dict[str, Any]]:
        records: list[dict[str, Any]] = []
        for position, iterator in enumerate(self.iterators):
            answer = self.client.get_records(ShardIterator=iterator, Limit=limit)
            self.iterators[position] = answer["NextShardIterator"]
            records.extend(_jsonable_record(r, self.stream_arn) for r in answer.get("Records", []))
        return records


@dataclass
class StreamMapping:
    """What the template says about one stream event source mapping."""

    logical_id: str
    table: str  # logical id of the table
    function: str
    batch_size: int = 100
    bisect: bool = False
    max_retries: int = -1  # -1: until the records expire (Lambda's default)
    report_batch_item_failures: bool = False
    on_failure: str | None = None  # logical id of an SQS queue


def mappings(template: Any) -> list[StreamMapping]:
    """The stream event source mappings of the translated template."""
    found: list[StreamMapping] = []
    for lid, res in cloudformation(template).get("Resources", {}).items():
        props = res.get("Properties") or {}
        source = props.get("EventSourceArn")
        if res.get("Type") != "AWS::Lambda::EventSourceMapping" or not isinstance(source, dict):
            continue
        att = source.get("Fn::GetAtt") or []
        if len(att) != 2 or att[1] != "StreamArn":
            continue
        destination = ((props.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
        found.append(
            StreamMapping(
                logical_id=lid,
                table=str(att[0]),
                function=str((props.get("FunctionName") or {}).get("Ref")),
                batch_size=int(props.get("BatchSize", 100)),
                bisect=bool(props.get("BisectBatchOnFunctionError", False)),
                max_retries=int(props.get("MaximumRetryAttempts", -1)),
                report_batch_item_failures="ReportBatchItemFailures"
                in (props.get("FunctionResponseTypes") or []),
                on_failure=(destination or {}).get("Fn::GetAtt", [None])[0] if destination else None,
            )
        )
    return found

"""AWS's DynamoDB export and import templates, run natively against moto server."""

from __future__ import annotations

import json
from pathlib import Path

import pendulum
import pytest

from tests.conftest import task_states
from tests.runtime.test_aws import _dag

JAR = "s3://dynamodb-emr-#{myDDBRegion}/emr-ddb-storage-handler/2.1.0/emr-ddb-2.1.0.jar"
ITEMS = [
    {"id": {"S": "a"}, "n": {"N": "1"}, "tags": {"SS": ["x", "y"]}, "ok": {"BOOL": True}},
    {
        "id": {"S": "b"},
        "blob": {"B": b"\x00\x01"},
        "doc": {"M": {"k": {"L": [{"N": "2"}, {"NULL": True}]}}},
    },
]


def _table(dynamodb, name: str) -> None:
    dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        ProvisionedThroughput={"ReadCapacityUnits": 100, "WriteCapacityUnits": 100},
    )


def _pipeline() -> dict:
    return {
        "objects": [
            {
                "id": "Default",
                "scheduleType": "ondemand",
                "workerGroup": "unused",
                "maximumRetries": "0",
            },
            {"id": "Cluster", "type": "EmrCluster", "releaseLabel": "emr-6.15.0"},
            {
                "id": "Source",
                "type": "DynamoDBDataNode",
                "tableName": "orders",
                "readThroughputPercent": "0.5",
            },
            {
                "id": "Backup",
                "type": "S3DataNode",
                "directoryPath": "s3://backups/orders/#{format(@scheduledStartTime,'YYYY-MM-dd')}",
            },
            {
                "id": "Restored",
                "type": "DynamoDBDataNode",
                "tableName": "orders_restored",
                "writeThroughputPercent": "0.5",
            },
            {
                "id": "Export",
                "type": "EmrActivity",
                "runsOn": {"ref": "Cluster"},
                "input": {"ref": "Source"},
                "output": {"ref": "Backup"},
                "step": f"{JAR},org.apache.hadoop.dynamodb.tools.DynamoDbExport,"
                "#{output.directoryPath},#{input.tableName},#{input.readThroughputPercent}",
            },
            {
                "id": "Import",
                "type": "EmrActivity",
                "runsOn": {"ref": "Cluster"},
                "input": {"ref": "Backup"},
                "output": {"ref": "Restored"},
                "step": f"{JAR},org.apache.hadoop.dynamodb.tools.DynamoDbImport,"
                "#{input.directoryPath},#{output.tableName},#{output.writeThroughputPercent}",
            },
        ],
        "parameters": [{"id": "myDDBRegion", "default": "us-east-1"}],
    }


@pytest.mark.usefixtures("airflow_db")
def test_export_then_import_round_trips_every_attribute_type(tmp_path: Path, aws) -> None:
    dynamodb, s3 = aws("dynamodb"), aws("s3")
    s3.create_bucket(Bucket="backups")
    _table(dynamodb, "orders")
    _table(dynamodb, "orders_restored")
    for item in ITEMS:
        dynamodb.put_item(TableName="orders", Item=item)
    dag = _dag(tmp_path, _pipeline())
    assert sorted(dag.task_dict) == ["Export", "Import"]  # no cluster is started
    assert "DynamoDB export/import steps run natively" in dag.doc_md
    at = pendulum.datetime(2024, 5, 6, tz="UTC")
    run = dag.test(logical_date=at)
    assert task_states(run) == {
        "Export": "success",
        "Import": "success",
    }
    listed = s3.list_objects_v2(Bucket="backups", Prefix="orders/2024-05-06/")["Contents"]
    assert sorted(o["Key"] for o in listed) == [
        "orders/2024-05-06/_SUCCESS",
        "orders/2024-05-06/part-00000",
    ]
    body = s3.get_object(Bucket="backups", Key="orders/2024-05-06/part-00000")["Body"].read()
    lines = [json.loads(line) for line in body.decode().splitlines()]
    assert {
        "id": {"s": "a"},
        "n": {"n": "1"},
        "tags": {"sS": ["x", "y"]},
        "ok": {"bOOL": True},
    } in lines
    restored = dynamodb.scan(TableName="orders_restored")["Items"]
    assert sorted(restored, key=lambda i: i["id"]["S"]) == ITEMS
    # An import rerun upserts the same items: same table.
    dag.test(logical_date=at)
    assert len(dynamodb.scan(TableName="orders_restored")["Items"]) == 2

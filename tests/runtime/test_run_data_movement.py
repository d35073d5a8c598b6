"""One end-to-end pipeline per data-movement activity through ``dp-airflow run`` (a subprocess
with its own throwaway Airflow home) against the tests' PostgreSQL and moto servers."""

from __future__ import annotations

import json
import os
from pathlib import Path

import psycopg2
import pytest

from tests.runtime.test_data_movement import _database
from tests.runtime.test_emr import _pipeline as emr_pipeline
from tests.runtime.test_emr import steps_finishing
from tests.runtime.test_run_command import _run as run_cli


def _run(path: Path) -> dict:
    result = run_cli(
        "--format",
        "json",
        "--at",
        "2024-05-06T00:00:00",
        str(path),
        AIRFLOW_CONN_AWS_DEFAULT=os.environ["AIRFLOW_CONN_AWS_DEFAULT"],
        AIRFLOW__DP_AIRFLOW__EMR_POLL_SECONDS="0.5",
    )
    assert result.stdout, result.stderr[-3000:]
    return json.loads(result.stdout)


@pytest.mark.slow
def test_sql_copy_and_redshift_copy_run_end_to_end(tmp_path: Path, aws, pg: dict) -> None:
    s3 = aws("s3")
    s3.create_bucket(Bucket="stage")
    objects = [
        {"id": "Default", "scheduleType": "ondemand", "workerGroup": "wg", "maximumRetries": "0"},
        _database(pg),
        {
            "id": "Prepare",
            "type": "SqlActivity",
            "database": {"ref": "Db"},
            "script": "CREATE TABLE src (id int, v text); INSERT INTO src SELECT g, 'v' || g "
            "FROM generate_series(1, 500) g; CREATE TABLE dst (id int PRIMARY KEY, v text);",
        },
        {"id": "Src", "type": "SqlDataNode", "database": {"ref": "Db"}, "table": "src"},
        {"id": "Tsv", "type": "TSV"},
        {
            "id": "Staged",
            "type": "S3DataNode",
            "directoryPath": "s3://stage/src/",
            "dataFormat": {"ref": "Tsv"},
            "compression": "gzip",
        },
        {"id": "Dst", "type": "SqlDataNode", "database": {"ref": "Db"}, "table": "dst"},
        {
            "id": "Unload",
            "type": "CopyActivity",
            "input": {"ref": "Src"},
            "output": {"ref": "Staged"},
            "dependsOn": {"ref": "Prepare"},
        },
        {
            "id": "Load",
            "type": "RedshiftCopyActivity",
            "input": {"ref": "Staged"},
            "output": {"ref": "Dst"},
            "insertMode": "OVERWRITE_EXISTING",
            "commandOptions": ["DELIMITER '\t'"],
        },
    ]
    path = tmp_path / "movement.json"
    path.write_text(json.dumps({"objects": objects}))
    report = _run(path)
    assert report["state"] == "success", report
    assert report["objects"] == {"Prepare": "success", "Unload": "success", "Load": "success"}
    with psycopg2.connect(**pg) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT count(*), min(v), max(id) FROM dst")
        assert cursor.fetchone() == (500, "v1", 500)


@pytest.mark.slow
def test_emr_cluster_and_activities_run_end_to_end(tmp_path: Path, aws) -> None:
    path = tmp_path / "emr.json"
    path.write_text(json.dumps(emr_pipeline()))
    with steps_finishing():
        report = _run(path)
    assert report["state"] == "success", report
    assert report["objects"] == {"Cluster": "success", "Count": "success", "Summarise": "success"}
    (cluster,) = aws("emr").list_clusters()["Clusters"]
    assert cluster["Status"]["State"] == "TERMINATED"

"""Faults in the EMR and DynamoDB calls, through the fault proxy (tests/fault_proxy.py).

Transient errors (throttling, HTTP 500/503) are retried by botocore and the run ends as a clean
run does: the same cluster request and steps, one cluster, terminated; the same export file and
restored table. A persistent error fails the attempt naming the AWS call, and leaves nothing
behind: no cluster left running, no export file. Persistent faults use the connection's
``config_kwargs`` (botocore's ``standard`` retry mode, 3 attempts in all), as docs/reliability.md
tells users to configure it; transient ones keep botocore's default.
"""

from __future__ import annotations

import json
import os
import urllib.request
from pathlib import Path

import pendulum
import pytest

from tests.conftest import task_states
from tests.fault_proxy import FaultProxy, Rule
from tests.runtime.test_aws import _dag
from tests.runtime.test_dynamodb_tools import ITEMS, _table
from tests.runtime.test_dynamodb_tools import _pipeline as _dynamodb_pipeline
from tests.runtime.test_emr import _cluster, steps_finishing
from tests.runtime.test_emr import _pipeline as _emr_pipeline

AT = pendulum.datetime(2024, 5, 6, tz="UTC")
EXPORT = "orders/2024-05-06/part-00000"


def _reset_moto(moto_server: str) -> None:
    """Empty moto (the proxy's counts are reset by ``script``)."""
    request = urllib.request.Request(f"{moto_server}/moto-api/reset", method="POST")
    urllib.request.urlopen(request).close()


def _few_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    connection = json.loads(os.environ["AIRFLOW_CONN_AWS_DEFAULT"])
    connection["extra"]["config_kwargs"] = {
        "retries": {"mode": "standard", "total_max_attempts": 3}
    }
    monkeypatch.setenv("AIRFLOW_CONN_AWS_DEFAULT", json.dumps(connection))


def _run(tmp_path: Path, definition: dict, *, emr: bool = False) -> dict[str, str]:
    folder = tmp_path / f"run-{len(list(tmp_path.glob('run-*')))}"
    folder.mkdir()
    dag = _dag(folder, definition)
    for task in dag.tasks:
        task.poll_seconds = 0.2
    if not emr:
        return task_states(dag.test(logical_date=AT))
    with steps_finishing():
        return task_states(dag.test(logical_date=AT))


def _emr_request(cluster: dict) -> dict:
    """What the activities asked EMR for: cluster settings, instance groups and steps."""
    return {
        "release": cluster["ReleaseLabel"],
        "state": cluster["Status"]["State"],
        "groups": sorted(
            (g["InstanceGroupType"], g["InstanceType"], g["RequestedInstanceCount"])
            for g in cluster["groups"]
        ),
        "steps": sorted(
            (s["Name"], s["Config"]["Jar"], *s["Config"]["Args"]) for s in cluster["steps"]
        ),
    }


@pytest.mark.usefixtures("airflow_db")
def test_emr_calls_ride_out_throttling_and_server_errors(
    tmp_path: Path, aws, proxy: FaultProxy, moto_server: str
) -> None:
    emr = aws("emr")
    everything_succeeds = dict.fromkeys(
        ["Cluster", "Count", "Summarise", "Cluster__terminate"], "success"
    )
    assert _run(tmp_path, _emr_pipeline(), emr=True) == everything_succeeds
    clean = _emr_request(_cluster(aws))
    _reset_moto(moto_server)
    proxy.script(
        Rule("RunJobFlow", "500", code="InternalServerError"),
        Rule("DescribeCluster", "400", code="ThrottlingException", times=2),
        Rule("AddJobFlowSteps", "503", code="ServiceUnavailable"),
        Rule("DescribeStep", "400", code="ThrottlingException"),
        Rule("TerminateJobFlows", "500", code="InternalServerError"),
    )
    assert _run(tmp_path, _emr_pipeline(), emr=True) == everything_succeeds
    assert dict(proxy.hits) == {
        "RunJobFlow": 1,
        "DescribeCluster": 2,
        "AddJobFlowSteps": 1,
        "DescribeStep": 1,
        "TerminateJobFlows": 1,
    }
    assert len(emr.list_clusters()["Clusters"]) == 1  # a retried RunJobFlow started no second
    assert _emr_request(_cluster(aws)) == clean
    assert clean["state"] == "TERMINATED"


@pytest.mark.usefixtures("airflow_db")
def test_a_persistent_emr_fault_fails_the_step_and_the_cluster_still_ends(
    tmp_path: Path,
    aws,
    proxy: FaultProxy,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _few_retries(monkeypatch)
    proxy.script(Rule("DescribeStep", "500", times=0, code="InternalServerError"))
    assert _run(tmp_path, _emr_pipeline(), emr=True) == {
        "Cluster": "success",
        "Count": "failed",
        "Summarise": "upstream_failed",
        "Cluster__terminate": "success",
    }
    log = capsys.readouterr()
    assert "when calling the DescribeStep operation" in log.out + log.err
    assert proxy.hits["DescribeStep"] == 3  # the configured attempts, then the task fails
    assert _cluster(aws)["Status"]["State"] == "TERMINATED"  # nothing left running


def _dynamodb_state(aws) -> tuple[bytes, list[dict]]:
    body = aws("s3").get_object(Bucket="backups", Key=EXPORT)["Body"].read()
    restored = aws("dynamodb").scan(TableName="orders_restored")["Items"]
    return body, sorted(restored, key=lambda item: item["id"]["S"])


def _dynamodb_tables(aws) -> None:
    dynamodb = aws("dynamodb")
    aws("s3").create_bucket(Bucket="backups")
    _table(dynamodb, "orders")
    _table(dynamodb, "orders_restored")
    for item in ITEMS:
        dynamodb.put_item(TableName="orders", Item=item)


@pytest.mark.usefixtures("airflow_db")
def test_dynamodb_export_and_import_ride_out_throttling(
    tmp_path: Path, aws, proxy: FaultProxy, moto_server: str
) -> None:
    _dynamodb_tables(aws)
    assert _run(tmp_path, _dynamodb_pipeline()) == {"Export": "success", "Import": "success"}
    clean = _dynamodb_state(aws)
    _reset_moto(moto_server)
    _dynamodb_tables(aws)
    proxy.script(
        Rule("DescribeTable", "500", code="InternalServerError"),
        Rule("Scan", "400", code="ProvisionedThroughputExceededException", times=2),
        Rule("PutObject", "503", code="SlowDown"),
        Rule("BatchWriteItem", "503", code="ServiceUnavailable"),
    )
    assert _run(tmp_path, _dynamodb_pipeline()) == {"Export": "success", "Import": "success"}
    assert dict(proxy.hits) == {
        "DescribeTable": 1,
        "Scan": 2,
        "PutObject": 1,
        "BatchWriteItem": 1,
    }
    assert _dynamodb_state(aws) == clean
    assert clean[1] == sorted(ITEMS, key=lambda item: item["id"]["S"])


@pytest.mark.usefixtures("airflow_db")
def test_a_persistent_scan_fault_fails_the_export_and_writes_nothing(
    tmp_path: Path,
    aws,
    proxy: FaultProxy,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _few_retries(monkeypatch)
    _dynamodb_tables(aws)
    proxy.script(Rule("Scan", "500", times=0, code="InternalServerError"))
    assert _run(tmp_path, _dynamodb_pipeline()) == {
        "Export": "failed",
        "Import": "upstream_failed",
    }
    log = capsys.readouterr()
    assert "when calling the Scan operation" in log.out + log.err
    s3 = aws("s3")
    assert "Contents" not in s3.list_objects_v2(Bucket="backups")  # no part file, no _SUCCESS
    assert "Uploads" not in s3.list_multipart_uploads(Bucket="backups")
    assert aws("dynamodb").scan(TableName="orders_restored")["Items"] == []
    proxy.script()  # the fault stops: the next run exports and imports everything
    assert _run(tmp_path, _dynamodb_pipeline()) == {"Export": "success", "Import": "success"}
    assert _dynamodb_state(aws)[1] == sorted(ITEMS, key=lambda item: item["id"]["S"])

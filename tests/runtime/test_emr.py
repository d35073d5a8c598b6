"""EmrCluster and the EMR activities against moto server.

moto starts clusters and accepts steps but never runs a step: a thread in the test moves each
step from PENDING/RUNNING to COMPLETED (or FAILED for the step named in ``fail``), in moto's own
backend. That state transition is the only thing stubbed; every request goes through moto.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pendulum
import pytest

from tests.conftest import task_states
from tests.runtime.test_aws import _dag

AT = pendulum.datetime(2024, 5, 6, tz="UTC")


@contextmanager
def steps_finishing(fail: str | None = None) -> Iterator[list]:
    from moto.emr.models import emr_backends

    stop = threading.Event()
    seen: list = []

    def run() -> None:
        while not stop.wait(0.2):
            for backend in emr_backends["123456789012"].values():
                for cluster in backend.clusters.values():
                    for step in cluster.steps:
                        if step.state in ("PENDING", "RUNNING"):
                            failing = fail is not None and fail in step.name
                            step.state = "FAILED" if failing else "COMPLETED"
                            seen.append(step)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield seen
    finally:
        stop.set()
        thread.join()


def _pipeline(activity_fail: bool = False) -> dict:
    return {
        "objects": [
            {"id": "Default", "scheduleType": "ondemand", "pipelineLogUri": "s3://logs/dp/"},
            {
                "id": "Cluster",
                "type": "EmrCluster",
                "releaseLabel": "emr-6.15.0",
                "applications": ["spark", "hive"],
                "masterInstanceType": "m1.medium",
                "coreInstanceType": "m5.2xlarge",
                "coreInstanceCount": "2",
                "taskInstanceCount": "1",
                "taskInstanceBidPrice": "0.25",
                "bootstrapAction": "s3://boot/setup.sh,--mode\\,fast",
                "configuration": {"ref": "HiveSite"},
                "terminateAfter": "2 hours",
                "subnetId": "subnet-123",
            },
            {
                "id": "HiveSite",
                "type": "EmrConfiguration",
                "classification": "hive-site",
                "property": {"ref": "Metastore"},
            },
            {"id": "Metastore", "type": "Property", "key": "hive.metastore", "value": "glue"},
            {"id": "Csv", "type": "CSV", "column": ["id STRING", "total DOUBLE"]},
            {
                "id": "Orders",
                "type": "S3DataNode",
                "directoryPath": "s3://in/orders/",
                "dataFormat": {"ref": "Csv"},
            },
            {
                "id": "Totals",
                "type": "S3DataNode",
                "directoryPath": "s3://out/#{format(@scheduledStartTime,'YYYY-MM-dd')}/",
                "dataFormat": {"ref": "Csv"},
            },
            {
                "id": "Count",
                "type": "EmrActivity",
                "runsOn": {"ref": "Cluster"},
                "maximumRetries": "0",
                "step": "s3://jars/wc.jar,in\\,put,#{format(@scheduledStartTime,'YYYY')}",
            },
            {
                "id": "Summarise",
                "type": "HiveActivity",
                "runsOn": {"ref": "Cluster"},
                "maximumRetries": "0",
                "input": {"ref": "Orders"},
                "output": {"ref": "Totals"},
                "hiveScript": "INSERT OVERWRITE TABLE ${output1} SELECT * FROM ${input1};",
                "scriptVariable": "RUN=#{format(@scheduledStartTime,'YYYY-MM-dd')}",
                "dependsOn": {"ref": "Count"},
            },
        ]
    }


def _cluster(aws) -> dict:
    emr = aws("emr")
    (summary,) = emr.list_clusters()["Clusters"]
    return emr.describe_cluster(ClusterId=summary["Id"])["Cluster"] | {
        "groups": emr.list_instance_groups(ClusterId=summary["Id"])["InstanceGroups"],
        "steps": emr.list_steps(ClusterId=summary["Id"])["Steps"],
    }


@pytest.mark.usefixtures("airflow_db")
def test_cluster_steps_and_teardown(tmp_path: Path, aws) -> None:
    dag = _dag(tmp_path, _pipeline())
    for task in dag.tasks:
        task.poll_seconds = 0.2
    assert dag.task_dict["Cluster__terminate"].is_teardown
    with steps_finishing():
        run = dag.test(logical_date=AT)
    states = task_states(run)
    assert states == dict.fromkeys(
        ["Cluster", "Count", "Summarise", "Cluster__terminate"], "success"
    )
    cluster = _cluster(aws)
    assert cluster["Status"]["State"] == "TERMINATED"
    assert cluster["ReleaseLabel"] == "emr-6.15.0"
    assert cluster["LogUri"] == "s3://logs/dp/"
    assert {a["Name"] for a in cluster["Applications"]} == {"Spark", "Hive"}
    assert cluster["Configurations"] == [
        {"Classification": "hive-site", "Properties": {"hive.metastore": "glue"}}
    ]
    groups = {g["InstanceGroupType"]: g for g in cluster["groups"]}
    assert groups["MASTER"]["InstanceType"] == "m5.xlarge"  # m1.medium is retired
    assert (groups["CORE"]["InstanceType"], groups["CORE"]["RequestedInstanceCount"]) == (
        "m5.2xlarge",
        2,
    )
    assert (groups["TASK"]["Market"], groups["TASK"]["BidPrice"]) == ("SPOT", "0.25")
    steps = {s["Name"]: s["Config"] for s in cluster["steps"]}
    assert steps["Count step 1"]["Jar"] == "s3://jars/wc.jar"
    assert steps["Count step 1"]["Args"] == ["in,put", "2024"]
    hive = steps["Summarise"]["Args"]
    assert hive[:2] == ["bash", "-c"]
    ddl = hive[4]
    assert "CREATE EXTERNAL TABLE summarise_input1 (id STRING, total DOUBLE)" in ddl
    assert "LOCATION 's3://out/2024-05-06/'" in ddl
    assert hive[-7:] == [
        "hive",
        "-d",
        "input1=summarise_input1",
        "-d",
        "output1=summarise_output1",
        "-d",
        "RUN=2024-05-06",
    ]


@pytest.mark.usefixtures("airflow_db")
def test_a_failed_step_fails_its_activity_and_the_cluster_still_terminates(
    tmp_path: Path, aws
) -> None:
    dag = _dag(tmp_path, _pipeline())
    for task in dag.tasks:
        task.poll_seconds = 0.2
    with steps_finishing(fail="Count"):
        run = dag.test(logical_date=AT)
    states = task_states(run)
    assert states == {
        "Cluster": "success",
        "Count": "failed",
        "Summarise": "upstream_failed",
        "Cluster__terminate": "success",
    }
    assert run.state == "failed"
    assert _cluster(aws)["Status"]["State"] == "TERMINATED"


def test_generated_script_steps_pass_every_piece_as_an_argument(tmp_path: Path) -> None:
    """Run a Pig step's command line locally with a stand-in tool that prints what it got."""
    import subprocess

    from dp_airflow.emr.steps import NodeInfo, pig_activity_steps

    node = NodeInfo("In", "S3", "s3://in/x/", ("id STRING", "n INT"))
    out = NodeInfo("Out", "S3", "s3://out/y/", (), "\t")
    (step,) = pig_activity_steps(
        "P", "output1 = FILTER input1 BY n > 0; -- it's $(not run)", None, ["DAY=1"], [node], [out]
    )
    tool = tmp_path / "pig"
    tool.write_text('#!/bin/sh\ncat "$2"; shift 2; echo "args: $*"\n')
    tool.chmod(0o755)
    args = step["HadoopJarStep"]["Args"]
    assert args[-3] == "pig"
    result = subprocess.run(
        [*args[:-3], str(tool), *args[-2:]], capture_output=True, text=True, check=True
    )
    assert result.stdout.splitlines() == [
        "input1 = LOAD 's3://in/x/' USING PigStorage(',') AS (id:chararray, n:int);",
        "output1 = FILTER input1 BY n > 0; -- it's $(not run)",
        "STORE output1 INTO 's3://out/y/' USING PigStorage('\\t');",
        "args: -p DAY=1",
    ]


def test_a_regex_format_stages_a_hive_table_with_the_regex_serde() -> None:
    from dp_airflow.emr.steps import NodeInfo, hive_table_ddl

    node = NodeInfo(
        "Logs",
        "S3",
        "s3://logs/in/",
        ("host STRING", "code STRING"),
        regex=(r'([^ ]*) "(\d+)"', "%1$s %2$s"),
    )
    assert hive_table_ddl("input1", node) == (
        "DROP TABLE IF EXISTS input1;\nCREATE EXTERNAL TABLE input1 (host STRING, code STRING) "
        "ROW FORMAT SERDE 'org.apache.hadoop.hive.serde2.RegexSerDe' WITH SERDEPROPERTIES "
        '("input.regex" = "([^ ]*) \\"(\\\\d+)\\"", "output.format.string" = "%1$s %2$s") '
        "LOCATION 's3://logs/in/';"
    )

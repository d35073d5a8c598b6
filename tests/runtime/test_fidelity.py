"""Fields that validate also take effect: script preconditions, encryption, instance limits,
Ec2Resource time limits, pipeline tags."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pendulum
import pytest

from tests.conftest import task_states
from tests.runtime.test_aws import _dag

ONDEMAND = {"id": "Default", "scheduleType": "ondemand", "workerGroup": "wg"}


@pytest.mark.usefixtures("airflow_db")
@pytest.mark.parametrize("script, ran", [("exit 1", False), ('test "$1" = ok', True)])
def test_a_shell_precondition_runs_its_script_uri(tmp_path: Path, aws, script, ran) -> None:
    s3 = aws("s3")
    s3.create_bucket(Bucket="scripts")
    s3.put_object(Bucket="scripts", Key="gate.sh", Body=script.encode())
    out = tmp_path / "ran.txt"
    dag = _dag(
        tmp_path,
        {
            "objects": [
                ONDEMAND,
                {
                    "id": "Work",
                    "type": "ShellCommandActivity",
                    "command": f"echo ran > {out}",
                    "precondition": {"ref": "Gate"},
                },
                {
                    "id": "Gate",
                    "type": "ShellCommandPrecondition",
                    "scriptUri": "s3://scripts/gate.sh",
                    "scriptArgument": "ok",
                    "stdout": "s3://scripts/gate-out.txt",
                },
            ]
        },
    )
    sensor = dag.task_dict["Work__Gate"]
    sensor.poke_interval, sensor.timeout = 1, 3
    run = dag.test()
    assert task_states(run)["Work"] == ("success" if ran else "upstream_failed")
    assert out.exists() is ran
    assert s3.head_object(Bucket="scripts", Key="gate-out.txt")["ContentLength"] == 0


@pytest.mark.usefixtures("airflow_db")
def test_objects_written_are_encrypted_unless_none(tmp_path: Path, aws) -> None:
    s3 = aws("s3")
    s3.create_bucket(Bucket="data")
    s3.put_object(Bucket="data", Key="in/a.csv", Body=b"1,a\n")
    dag = _dag(
        tmp_path,
        {
            "objects": [
                ONDEMAND,
                {"id": "In", "type": "S3DataNode", "directoryPath": "s3://data/in/"},
                {"id": "Out", "type": "S3DataNode", "directoryPath": "s3://data/copied/"},
                {"id": "Plain", "type": "S3DataNode", "directoryPath": "s3://data/plain/"},
                {
                    "id": "Copy",
                    "type": "CopyActivity",
                    "input": {"ref": "In"},
                    "output": {"ref": "Out"},
                },
                {
                    "id": "Stage",
                    "type": "ShellCommandActivity",
                    "stage": "true",
                    "input": {"ref": "In"},
                    "output": {"ref": "Plain"},
                    "command": "cp ${INPUT1_STAGING_DIR}/a.csv ${OUTPUT1_STAGING_DIR}/b.csv",
                    "stdout": "s3://data/logs/stdout",
                    "s3EncryptionType": "NONE",
                },
                {
                    "id": "Log",
                    "type": "ShellCommandActivity",
                    "command": "echo hello",
                    "stdout": "s3://data/logs/hello",
                },
            ]
        },
    )
    run = dag.test()
    assert run.state == "success", task_states(run)

    def encryption(key: str) -> str | None:
        return s3.head_object(Bucket="data", Key=key).get("ServerSideEncryption")

    assert encryption("copied/a.csv") == "AES256"  # Data Pipeline's default
    assert encryption("logs/hello") == "AES256"
    assert encryption("plain/b.csv") is None  # s3EncryptionType NONE
    assert encryption("logs/stdout") is None


def test_instance_limits_time_limits_and_tags(tmp_path: Path) -> None:
    from airflow.dag_processing.dagbag import DagBag

    dags = tmp_path / "dags"
    dags.mkdir()
    (dags / "dp_airflow_loader.py").write_text(
        (Path(__file__).parents[2] / "dags" / "dp_airflow_loader.py").read_text()
    )
    (dags / "tagged.yaml").write_text(TAGGED)
    bag = DagBag(dag_folder=str(dags))
    assert bag.import_errors == {}
    dag = bag.dags["tagged"]
    assert dag.tags == {"dp-airflow", "team:data", "cost-center:42"}
    assert dag.max_active_runs == 5  # Data Pipeline's limit, not Airflow's 16
    assert dag.task_dict["Often"].max_active_tis_per_dag == 2
    assert dag.task_dict["Rarely"].max_active_tis_per_dag is None
    # terminateAfter of the Ec2Resource bounds the activity's run (below its attemptTimeout).
    assert dag.task_dict["Often"].execution_timeout == timedelta(minutes=20)
    assert dag.task_dict["Rarely"].execution_timeout == timedelta(minutes=10)
    assert pendulum.instance(dag.start_date).year == 2024


TAGGED = """\
Resources:
  Pipeline:
    Type: AWS::DataPipeline::Pipeline
    Properties:
      Name: tagged
      PipelineTags:
        - {Key: team, Value: data}
        - {Key: cost-center, Value: "42"}
      PipelineObjects:
        - Id: Default
          Name: Default
          Fields:
            - {Key: scheduleType, StringValue: cron}
            - {Key: schedule, RefValue: Hourly}
        - Id: Hourly
          Name: Hourly
          Fields:
            - {Key: type, StringValue: Schedule}
            - {Key: period, StringValue: 1 hour}
            - {Key: startDateTime, StringValue: "2024-01-01T00:00:00"}
        - Id: Box
          Name: Box
          Fields:
            - {Key: type, StringValue: Ec2Resource}
            - {Key: role, StringValue: r}
            - {Key: resourceRole, StringValue: r}
            - {Key: terminateAfter, StringValue: 20 minutes}
        - Id: Often
          Name: Often
          Fields:
            - {Key: type, StringValue: ShellCommandActivity}
            - {Key: command, StringValue: "true"}
            - {Key: runsOn, RefValue: Box}
            - {Key: attemptTimeout, StringValue: 1 hour}
            - {Key: maxActiveInstances, StringValue: "2"}
        - Id: Rarely
          Name: Rarely
          Fields:
            - {Key: type, StringValue: ShellCommandActivity}
            - {Key: command, StringValue: "true"}
            - {Key: runsOn, RefValue: Box}
            - {Key: attemptTimeout, StringValue: 10 minutes}
"""

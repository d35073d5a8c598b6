"""AWS-facing parts against a moto server: SnsAlarm actions and S3 preconditions."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pendulum
import pytest

from tests.conftest import sns_inbox, sync_dag_to_db

LOADER = Path(__file__).parents[2] / "dags" / "dp_airflow_loader.py"


def _dag(tmp_path: Path, definition: dict):
    from airflow.dag_processing.dagbag import DagBag

    dags = tmp_path / "dags"
    dags.mkdir(exist_ok=True)
    shutil.copy(LOADER, dags / LOADER.name)
    (dags / "pipe.json").write_text(json.dumps(definition))
    bag = DagBag(dag_folder=str(dags))
    assert bag.import_errors == {}
    dag = bag.dags["pipe"]
    assert "dp-airflow:invalid" not in dag.tags, dag.doc_md
    return sync_dag_to_db(dag)


@pytest.mark.usefixtures("airflow_db")
def test_failure_publishes_the_evaluated_sns_alarm(tmp_path: Path, aws) -> None:
    sqs = aws("sqs")
    topic, queue = sns_inbox(aws, "alerts", "inbox")
    dag = _dag(
        tmp_path,
        {
            "objects": [
                {"id": "Default", "scheduleType": "ondemand", "workerGroup": "wg"},
                {
                    "id": "Load",
                    "name": "Load orders",
                    "type": "ShellCommandActivity",
                    "command": "echo boom >&2; exit 3",
                    "maximumRetries": "0",
                    "onFail": {"ref": "Alarm"},
                },
                {
                    "id": "Alarm",
                    "type": "SnsAlarm",
                    "topicArn": topic,
                    "role": "r",
                    "subject": "#{node.name} failed",
                    "message": "#{node.@id} on #{format(node.@scheduledStartTime,'YYYY-MM-dd')}: "
                    "#{node.errorMessage}",
                },
            ]
        },
    )
    run = dag.test(logical_date=pendulum.datetime(2024, 5, 6, 7, tz="UTC"))
    assert run.state == "failed"
    received = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    (envelope,) = [json.loads(m["Body"]) for m in received]
    assert envelope["Subject"] == "Load orders failed"
    assert envelope["Message"].startswith("@Load_2024-05-06T07:00:00 on 2024-05-06: ")
    assert "status 3" in envelope["Message"]


FIELDS = (
    "@status",
    "@actualStartTime",
    "@actualEndTime",
    "@finishedTime",
    "hostname",
    "@attemptCount",
    "@triesLeft",
    "errorId",
    "errorMessage",
    "@error",
    "@cascadeFailedOn",
)


@pytest.mark.usefixtures("airflow_db")
def test_a_failure_alarm_reads_every_runtime_field_of_the_attempt(tmp_path: Path, aws) -> None:
    import socket

    sqs = aws("sqs")
    topic, queue = sns_inbox(aws, "alerts", "inbox")
    alarm = {
        "id": "Alarm",
        "type": "SnsAlarm",
        "topicArn": topic,
        "role": "r",
        "subject": "#{node.@id} #{node.@status}",
        "message": "\n".join(f"{name}=#{{node.{name}}}" for name in FIELDS)
        + "\nerrorStackTrace=#{node.errorStackTrace}",
    }
    dag = _dag(
        tmp_path,
        {
            "objects": [
                {
                    "id": "Default",
                    "scheduleType": "ondemand",
                    "workerGroup": "wg",
                    "failureAndRerunMode": "cascade",
                    "maximumRetries": "0",
                },
                {"id": "Extract", "type": "ShellCommandActivity", "command": "exit 3"},
                {
                    "id": "Load",
                    "type": "ShellCommandActivity",
                    "command": "true",
                    "dependsOn": {"ref": "Extract"},
                    "onFail": {"ref": "Alarm"},
                },
                alarm,
            ]
        },
    )
    started = pendulum.now("UTC").replace(microsecond=0)
    run = dag.test(logical_date=pendulum.datetime(2024, 5, 6, 7, tz="UTC"))
    assert run.state == "failed"
    received = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    (envelope,) = [json.loads(m["Body"]) for m in received]
    print(envelope["Subject"], envelope["Message"], sep="\n")  # shown with pytest -s
    assert envelope["Subject"] == "@Load_2024-05-06T07:00:00 CASCADE_FAILED"
    lines = envelope["Message"].split("\n")
    fields = dict(line.split("=", 1) for line in lines[: len(FIELDS)])
    assert fields["@status"] == "CASCADE_FAILED"
    for name in ("@actualStartTime", "@actualEndTime", "@finishedTime"):
        assert pendulum.parse(fields[name], tz="UTC") >= started.subtract(seconds=1), name
    assert fields["hostname"] == socket.gethostname()
    assert (fields["@attemptCount"], fields["@triesLeft"]) == ("1", "0")
    assert fields["errorId"] == "AirflowFailException"
    assert fields["errorMessage"] == "Load: CASCADE_FAILED: its dependency Extract failed"
    assert fields["@error"] == fields["errorMessage"]
    assert fields["@cascadeFailedOn"] == "Extract"
    assert "Traceback" in envelope["Message"] and "CASCADE_FAILED" in lines[-1]


@pytest.mark.usefixtures("airflow_db")
def test_a_success_alarm_using_error_fields_is_still_published(tmp_path: Path, aws) -> None:
    sqs = aws("sqs")
    topic, queue = sns_inbox(aws, "alerts", "inbox")
    alarm = {
        "id": "Done",
        "type": "SnsAlarm",
        "topicArn": topic,
        "role": "r",
        "subject": "#{node.@id} #{node.@status}",
        "message": "error=[#{node.errorMessage}] log=[#{node.emrStepLog}]",
    }
    say = {
        "id": "Say",
        "type": "ShellCommandActivity",
        "command": "true",
        "onSuccess": {"ref": "Done"},
    }
    default = {"id": "Default", "scheduleType": "ondemand", "workerGroup": "wg"}
    dag = _dag(tmp_path, {"objects": [default, say, alarm]})
    run = dag.test(logical_date=pendulum.datetime(2024, 5, 6, 7, tz="UTC"))
    assert run.state == "success"
    received = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    (envelope,) = [json.loads(m["Body"]) for m in received]
    assert envelope["Subject"] == "@Say_2024-05-06T07:00:00 FINISHED"
    assert envelope["Message"] == "error=[] log=[]"


@pytest.mark.usefixtures("airflow_db")
def test_s3_preconditions_gate_the_activity(tmp_path: Path, aws) -> None:
    s3 = aws("s3")
    s3.create_bucket(Bucket="landing")
    s3.put_object(Bucket="landing", Key="in/2024-05-06/data.csv", Body=b"a,b\n")
    s3.put_object(Bucket="landing", Key="in/2024-05-06/_SUCCESS", Body=b"")
    out = tmp_path / "ran.txt"
    dag = _dag(
        tmp_path,
        {
            "objects": [
                {"id": "Default", "scheduleType": "ondemand", "workerGroup": "wg"},
                {
                    "id": "Input",
                    "type": "S3DataNode",
                    "directoryPath": "s3://landing/in/#{format(@scheduledStartTime,'YYYY-MM-dd')}/",
                    "precondition": [{"ref": "HasData"}, {"ref": "Marker"}],
                },
                {
                    "id": "HasData",
                    "type": "S3PrefixNotEmpty",
                    "role": "r",
                    "s3Prefix": "#{node.directoryPath}",
                },
                {
                    "id": "Marker",
                    "type": "S3KeyExists",
                    "role": "r",
                    "s3Key": "#{node.directoryPath}_SUCCESS",
                },
                {
                    "id": "Use",
                    "type": "ShellCommandActivity",
                    "input": {"ref": "Input"},
                    "command": f"echo #{{input.directoryPath}} > {out}",
                },
            ]
        },
    )
    run = dag.test(logical_date=pendulum.datetime(2024, 5, 6, tz="UTC"))
    assert run.state == "success"
    assert out.read_text().strip().startswith("s3://landing/in/")


@pytest.mark.usefixtures("airflow_db")
def test_an_emr_activity_without_a_cluster_fails_saying_so(tmp_path: Path, aws) -> None:
    from airflow.sdk.exceptions import AirflowFailException

    dag = _dag(
        tmp_path,
        {
            "objects": [
                {"id": "Default", "scheduleType": "ondemand", "workerGroup": "wg"},
                {
                    "id": "Copy",
                    "type": "HiveCopyActivity",
                    "input": {"ref": "A"},
                    "output": {"ref": "B"},
                },
                {"id": "A", "type": "S3DataNode", "filePath": "s3://b/a.csv"},
                {"id": "B", "type": "S3DataNode", "filePath": "s3://b/b.csv"},
            ]
        },
    )
    reason = (
        "HiveCopyActivity runs as steps on the EmrCluster named by runsOn; workerGroup 'wg' "
        "names a cluster dp-airflow does not manage"
    )
    assert f"Copy (HiveCopyActivity): {reason}; its task fails saying so" in dag.doc_md
    run = dag.test()
    assert run.state == "failed"
    with pytest.raises(
        AirflowFailException,
        match=f"^Copy: {re.escape(reason)}$",
    ):
        dag.task_dict["Copy"].run_instance({}, None)


def _staging_pipeline(command: str) -> dict:
    return {
        "objects": [
            {"id": "Default", "scheduleType": "ondemand", "workerGroup": "wg"},
            {"id": "Logs", "type": "S3DataNode", "directoryPath": "s3://logs-in/2024/"},
            {
                "id": "Report",
                "type": "S3DataNode",
                "directoryPath": "s3://reports/#{format(@scheduledStartTime,'YYYY-MM-dd')}/",
            },
            {
                "id": "Count",
                "type": "ShellCommandActivity",
                "stage": "true",
                "input": {"ref": "Logs"},
                "output": {"ref": "Report"},
                "maximumRetries": "0",
                "command": command,
            },
        ]
    }


@pytest.mark.usefixtures("airflow_db")
def test_staging_round_trip_through_s3(tmp_path: Path, aws) -> None:
    s3 = aws("s3")
    for bucket in ("logs-in", "reports"):
        s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket="logs-in", Key="2024/a.log", Body=b"GET /\nPOST /x\nGET /y\n")
    s3.put_object(Bucket="logs-in", Key="2024/sub/b.log", Body=b"GET /z\n")
    dag = _dag(
        tmp_path,
        _staging_pipeline(
            "cat ${INPUT1_STAGING_DIR}/*.log ${INPUT1_STAGING_DIR}/sub/*.log | grep -c GET"
            " > ${OUTPUT1_STAGING_DIR}/count.txt"
        ),
    )
    run = dag.test(logical_date=pendulum.datetime(2024, 5, 6, tz="UTC"))
    assert run.state == "success"
    body = s3.get_object(Bucket="reports", Key="2024-05-06/count.txt")["Body"].read()
    assert body == b"3\n"


@pytest.mark.usefixtures("airflow_db")
def test_a_failed_command_uploads_nothing(tmp_path: Path, aws) -> None:
    s3 = aws("s3")
    for bucket in ("logs-in", "reports"):
        s3.create_bucket(Bucket=bucket)
    dag = _dag(tmp_path, _staging_pipeline("echo partial > ${OUTPUT1_STAGING_DIR}/x.txt; exit 1"))
    run = dag.test(logical_date=pendulum.datetime(2024, 5, 6, tz="UTC"))
    assert run.state == "failed"
    assert s3.list_objects_v2(Bucket="reports").get("KeyCount", 0) == 0


@pytest.mark.usefixtures("airflow_db")
def test_dynamodb_and_exists_preconditions(tmp_path: Path, aws) -> None:
    dynamodb, s3 = aws("dynamodb"), aws("s3")
    dynamodb.create_table(
        TableName="orders",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    dynamodb.put_item(TableName="orders", Item={"id": {"S": "1"}})
    s3.create_bucket(Bucket="exports")
    s3.put_object(Bucket="exports", Key="daily/2024-05-06.csv", Body=b"x\n")
    out = tmp_path / "ran.txt"
    dag = _dag(
        tmp_path,
        {
            "objects": [
                {"id": "Default", "scheduleType": "ondemand", "workerGroup": "wg"},
                {
                    "id": "Table",
                    "type": "DynamoDBDataNode",
                    "tableName": "orders",
                    "precondition": [{"ref": "TableThere"}, {"ref": "HasItems"}],
                },
                {
                    "id": "TableThere",
                    "type": "DynamoDBTableExists",
                    "role": "r",
                    "tableName": "#{node.tableName}",
                },
                {
                    "id": "HasItems",
                    "type": "DynamoDBDataExists",
                    "role": "r",
                    "tableName": "orders",
                },
                {
                    "id": "Export",
                    "type": "S3DataNode",
                    "filePath": "s3://exports/daily/#{format(@scheduledStartTime,'YYYY-MM-dd')}.csv",
                    "precondition": {"ref": "FileThere"},
                },
                {"id": "FileThere", "type": "Exists"},
                {
                    "id": "Use",
                    "type": "ShellCommandActivity",
                    "input": [{"ref": "Table"}, {"ref": "Export"}],
                    "command": f"echo ok > {out}",
                },
            ]
        },
    )
    assert sorted(dag.task_ids) == [
        "Export__FileThere",
        "Table__HasItems",
        "Table__TableThere",
        "Use",
    ]
    run = dag.test(logical_date=pendulum.datetime(2024, 5, 6, tz="UTC"))
    assert run.state == "success"
    assert out.read_text() == "ok\n"


@pytest.mark.usefixtures("airflow_db")
def test_secret_parameters_come_from_airflow_variables_and_stay_masked(
    tmp_path: Path, aws, monkeypatch
) -> None:
    from airflow.models.renderedtifields import RenderedTaskInstanceFields
    from airflow.utils.session import create_session

    monkeypatch.setenv("AIRFLOW_VAR_PIPE__MYTOKEN", "tok-from-variable")
    out = tmp_path / "token.txt"
    dag = _dag(
        tmp_path,
        {
            "objects": [
                {"id": "Default", "scheduleType": "ondemand", "workerGroup": "wg"},
                {
                    "id": "Use",
                    "type": "ShellCommandActivity",
                    "command": f"echo #{{*myToken}} > {out}",
                },
            ],
            "parameters": [{"id": "*myToken", "optional": "true"}],
        },
    )
    assert "*myToken" not in dag.params  # secrets never become Params
    run = dag.test(run_conf={"*myToken": "from-conf-is-ignored"})
    assert run.state == "success"
    assert out.read_text() == "tok-from-variable\n"
    with create_session() as session:
        stored = (
            session.query(RenderedTaskInstanceFields)
            .filter_by(dag_id="pipe", task_id="Use", run_id=run.run_id)
            .one()
            .rendered_fields
        )
    assert "tok-from-variable" not in json.dumps(stored)


@pytest.mark.usefixtures("airflow_db")
def test_stdout_and_stderr_are_shipped_to_s3_even_on_failure(tmp_path: Path, aws) -> None:
    s3 = aws("s3")
    s3.create_bucket(Bucket="run-logs")
    dag = _dag(
        tmp_path,
        {
            "objects": [
                {"id": "Default", "scheduleType": "ondemand", "workerGroup": "wg"},
                {
                    "id": "Noisy",
                    "type": "ShellCommandActivity",
                    "maximumRetries": "0",
                    "command": "echo to-out; echo to-err >&2; exit 2",
                    "stdout": "s3://run-logs/#{@id}/stdout",
                    "stderr": "s3://run-logs/#{@id}/stderr",
                },
            ]
        },
    )
    run = dag.test()
    assert run.state == "failed"
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket="run-logs")["Contents"])
    assert [k.rsplit("/", 1)[1] for k in keys] == ["stderr", "stdout"]
    bodies = {
        k.rsplit("/", 1)[1]: s3.get_object(Bucket="run-logs", Key=k)["Body"].read() for k in keys
    }
    assert bodies == {"stdout": b"to-out\n", "stderr": b"to-err\n"}


@pytest.mark.slow
@pytest.mark.usefixtures("airflow_db")
def test_a_failed_attempt_is_retried_then_succeeds(tmp_path: Path, aws) -> None:
    marker, out = tmp_path / "tried-once", tmp_path / "done.txt"
    dag = _dag(
        tmp_path,
        {
            "objects": [
                {"id": "Default", "scheduleType": "ondemand", "workerGroup": "wg"},
                {
                    "id": "Flaky",
                    "type": "ShellCommandActivity",
                    "maximumRetries": "1",
                    "retryDelay": "2 minutes",
                    "command": f"if [ -e {marker} ]; then echo second try > {out}; "
                    f"else touch {marker}; exit 1; fi",
                },
            ]
        },
    )
    assert dag.task_dict["Flaky"].retries == 1
    run = dag.test()
    assert run.state == "success"
    assert out.read_text() == "second try\n"
    (ti,) = run.get_task_instances()
    assert ti.try_number == 2


@pytest.mark.usefixtures("airflow_db")
def test_staged_node_paths_see_secret_parameters_from_variables(
    tmp_path: Path, aws, monkeypatch
) -> None:
    monkeypatch.setenv("AIRFLOW_VAR_PIPE__MYBUCKET", "secret-bucket")
    s3 = aws("s3")
    s3.create_bucket(Bucket="secret-bucket")
    s3.put_object(Bucket="secret-bucket", Key="in/a.txt", Body=b"hello\n")
    out = tmp_path / "copied.txt"
    dag = _dag(
        tmp_path,
        {
            "objects": [
                {"id": "Default", "scheduleType": "ondemand", "workerGroup": "wg"},
                {"id": "In", "type": "S3DataNode", "directoryPath": "s3://#{*myBucket}/in/"},
                {
                    "id": "Copy",
                    "type": "ShellCommandActivity",
                    "stage": "true",
                    "input": {"ref": "In"},
                    "command": f"cat ${{INPUT1_STAGING_DIR}}/a.txt > {out}",
                },
            ],
            "parameters": [{"id": "*myBucket", "optional": "true"}],
        },
    )
    assert dag.test().state == "success"
    assert out.read_text() == "hello\n"

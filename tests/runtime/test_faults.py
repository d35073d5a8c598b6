"""Faults between the tasks and AWS: a proxy in front of moto (tests/fault_proxy.py) answers
chosen requests with throttling, server errors or a dropped connection. Transient faults are
retried by botocore (its default retry mode, as the Airflow AWS connection leaves it) and the
output is the same as a clean run's; a persistent fault fails the attempt naming the AWS call and
leaves no partial output, and the next attempt succeeds once the fault is gone."""

from __future__ import annotations

import json
from pathlib import Path

import pendulum
import pytest

from tests.conftest import sns_inbox, task_states
from tests.fault_proxy import FaultProxy, Rule
from tests.runtime.test_aws import _dag

AT = pendulum.datetime(2024, 5, 6, tz="UTC")
BIG = b"".join(b"%d,row %d,\xc3\xa9t\xc3\xa9\n" % (n, n) for n in range(450_000))
"""About 9.6 MiB of CSV: the TSV written from it goes up in two multipart parts."""


def _copy(output: str, **extra: object) -> dict:
    return {
        "objects": [
            {"id": "Default", "scheduleType": "ondemand", "workerGroup": "wg"},
            {"id": "Csv", "type": "CSV"},
            {"id": "Tsv", "type": "TSV"},
            {
                "id": "In",
                "type": "S3DataNode",
                "filePath": "s3://faults/in/data.csv",
                "dataFormat": {"ref": "Csv"},
            },
            {
                "id": "Out",
                "type": "S3DataNode",
                "filePath": f"s3://faults/{output}",
                "dataFormat": {"ref": "Tsv"},
            },
            {
                "id": "Copy",
                "type": "CopyActivity",
                "input": {"ref": "In"},
                "output": {"ref": "Out"},
                "maximumRetries": "0",
                **extra,
            },
        ]
    }


def _run(tmp_path: Path, definition: dict) -> dict[str, str]:
    folder = tmp_path / str(len(list(tmp_path.glob("run-*"))))
    folder.mkdir()
    (tmp_path / f"run-{folder.name}").touch()
    return task_states(_dag(folder, definition).test(logical_date=AT))


@pytest.mark.usefixtures("airflow_db")
def test_transient_faults_are_retried_and_the_output_is_a_clean_runs(
    tmp_path: Path, aws, proxy: FaultProxy
) -> None:
    s3 = aws("s3")
    s3.create_bucket(Bucket="faults")
    s3.put_object(Bucket="faults", Key="in/data.csv", Body=BIG)
    assert _run(tmp_path, _copy("clean.tsv")) == {"Copy": "success"}
    proxy.script(
        Rule("GetObject", "503", code="SlowDown"),
        Rule("CreateMultipartUpload", "reset"),
        Rule("UploadPart", "500", code="InternalError"),
        Rule("UploadPart", "503", nth=3, code="SlowDown"),
        Rule("CompleteMultipartUpload", "503", code="ServiceUnavailable"),
    )
    assert _run(tmp_path, _copy("faulty.tsv")) == {"Copy": "success"}
    assert dict(proxy.hits) == {
        "GetObject": 1,
        "CreateMultipartUpload": 1,
        "UploadPart": 2,
        "CompleteMultipartUpload": 1,
    }
    clean = s3.get_object(Bucket="faults", Key="clean.tsv")["Body"].read()
    assert s3.get_object(Bucket="faults", Key="faulty.tsv")["Body"].read() == clean
    assert clean.startswith(b"0\trow 0\t\xc3\xa9t\xc3\xa9\n")


@pytest.mark.usefixtures("airflow_db")
def test_a_persistent_fault_fails_naming_the_call_and_leaves_nothing(
    tmp_path: Path, aws, proxy: FaultProxy, capsys: pytest.CaptureFixture[str]
) -> None:
    s3 = aws("s3")
    s3.create_bucket(Bucket="faults")
    s3.put_object(Bucket="faults", Key="in/data.csv", Body=BIG)
    proxy.script(Rule("CompleteMultipartUpload", "500", times=0, code="InternalError"))
    assert _run(tmp_path, _copy("out.tsv")) == {"Copy": "failed"}
    log = capsys.readouterr()
    assert "CompleteMultipartUpload operation" in log.out + log.err
    assert "Contents" not in s3.list_objects_v2(Bucket="faults", Prefix="out")
    assert "Uploads" not in s3.list_multipart_uploads(Bucket="faults")  # aborted, not left
    proxy.script()  # the fault stops: the next attempt succeeds
    assert _run(tmp_path, _copy("out.tsv")) == {"Copy": "success"}
    assert s3.head_object(Bucket="faults", Key="out.tsv")["ContentLength"] > len(BIG) // 2


@pytest.mark.usefixtures("airflow_db")
def test_preconditions_and_alarms_ride_out_throttling(
    tmp_path: Path, aws, proxy: FaultProxy
) -> None:
    s3, sqs = aws("s3"), aws("sqs")
    s3.create_bucket(Bucket="faults")
    s3.put_object(Bucket="faults", Key="ready/_SUCCESS", Body=b"")
    topic, queue = sns_inbox(aws, "faults", "faults-inbox")
    proxy.script(
        Rule("HeadObject", "503", code="SlowDown", times=2),
        Rule("Publish", "500", code="InternalFailure"),
    )
    definition = {
        "objects": [
            {"id": "Default", "scheduleType": "ondemand", "workerGroup": "wg"},
            {
                "id": "Ready",
                "type": "S3KeyExists",
                "s3Key": "s3://faults/ready/_SUCCESS",
                "role": "r",
            },
            {
                "id": "Go",
                "type": "ShellCommandActivity",
                "command": "true",
                "precondition": {"ref": "Ready"},
                "onSuccess": {"ref": "Done"},
            },
            {
                "id": "Done",
                "type": "SnsAlarm",
                "topicArn": topic,
                "role": "r",
                "subject": "done",
                "message": "ok",
            },
        ]
    }
    assert _run(tmp_path, definition) == {"Go__Ready": "success", "Go": "success"}
    assert proxy.hits["HeadObject"] == 2 and proxy.hits["Publish"] == 1
    (message,) = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=5)["Messages"]
    assert json.loads(message["Body"])["Subject"] == "done"


@pytest.mark.usefixtures("airflow_db")
def test_a_write_aborts_the_incomplete_upload_a_killed_attempt_left_on_its_key(
    tmp_path: Path, aws
) -> None:
    s3 = aws("s3")
    s3.create_bucket(Bucket="faults")
    s3.put_object(Bucket="faults", Key="in/data.csv", Body=BIG)
    for key in ("out.tsv", "out.tsv.old"):  # as a SIGKILLed attempt leaves it; and a neighbour
        upload = s3.create_multipart_upload(Bucket="faults", Key=key)["UploadId"]
        s3.upload_part(Bucket="faults", Key=key, UploadId=upload, PartNumber=1, Body=b"x")
    assert _run(tmp_path, _copy("out.tsv")) == {"Copy": "success"}
    (left,) = s3.list_multipart_uploads(Bucket="faults")["Uploads"]
    assert left["Key"] == "out.tsv.old"  # only the very key written is cleaned


def _export(pg: dict, key: str) -> dict:
    from tests.runtime.test_data_movement import _database

    return {
        "objects": [
            {"id": "Default", "scheduleType": "ondemand", "workerGroup": "wg"},
            _database(pg),
            {"id": "Csv", "type": "CSV"},
            {
                "id": "Rows",
                "type": "SqlDataNode",
                "database": {"ref": "Db"},
                "table": "big",
                "selectQuery": "SELECT n, 'row ' || n, 'été' FROM big ORDER BY n",
            },
            {
                "id": "Out",
                "type": "S3DataNode",
                "filePath": f"s3://faults/{key}",
                "dataFormat": {"ref": "Csv"},
            },
            {
                "id": "Export",
                "type": "CopyActivity",
                "input": {"ref": "Rows"},
                "output": {"ref": "Out"},
                "maximumRetries": "0",
            },
        ]
    }


@pytest.mark.usefixtures("airflow_db")
def test_a_sql_export_rides_out_upload_faults_and_a_persistent_one_leaves_nothing(
    tmp_path: Path, aws, proxy: FaultProxy, pg: dict, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.runtime.test_data_movement import _query

    _query(pg, "CREATE TABLE big AS SELECT generate_series(0, 449999) AS n")
    s3 = aws("s3")
    s3.create_bucket(Bucket="faults")
    assert _run(tmp_path, _export(pg, "clean.csv")) == {"Export": "success"}
    clean = s3.get_object(Bucket="faults", Key="clean.csv")["Body"].read()
    assert len(clean) > 8 * 2**20  # two parts
    proxy.script(
        Rule("UploadPart", "503", code="SlowDown"),
        Rule("CompleteMultipartUpload", "500", code="InternalError"),
    )
    assert _run(tmp_path, _export(pg, "faulty.csv")) == {"Export": "success"}
    assert dict(proxy.hits) == {"UploadPart": 1, "CompleteMultipartUpload": 1}
    assert s3.get_object(Bucket="faults", Key="faulty.csv")["Body"].read() == clean
    proxy.script(Rule("UploadPart", "500", nth=2, times=0, code="InternalError"))
    assert _run(tmp_path, _export(pg, "broken.csv")) == {"Export": "failed"}
    log = capsys.readouterr()
    assert "UploadPart operation" in log.out + log.err
    assert "Contents" not in s3.list_objects_v2(Bucket="faults", Prefix="broken")
    assert "Uploads" not in s3.list_multipart_uploads(Bucket="faults")


def _staged(command: str) -> dict:
    return {
        "objects": [
            {"id": "Default", "scheduleType": "ondemand", "workerGroup": "wg"},
            {"id": "Out", "type": "S3DataNode", "directoryPath": "s3://faults/staged/"},
            {
                "id": "Make",
                "type": "ShellCommandActivity",
                "stage": "true",
                "output": {"ref": "Out"},
                "maximumRetries": "0",
                "command": command,
            },
        ]
    }


@pytest.mark.usefixtures("airflow_db")
def test_staged_outputs_ride_out_faults_and_a_directory_is_never_half_written(
    tmp_path: Path, aws, proxy: FaultProxy, capsys: pytest.CaptureFixture[str]
) -> None:
    s3 = aws("s3")
    s3.create_bucket(Bucket="faults")
    command = "for n in 1 2 3; do echo part $n > ${OUTPUT1_STAGING_DIR}/$n.txt; done"
    proxy.script(Rule("PutObject", "503", code="SlowDown"))
    assert _run(tmp_path, _staged(command)) == {"Make": "success"}
    assert proxy.hits["PutObject"] == 1
    listed = s3.list_objects_v2(Bucket="faults", Prefix="staged/")["Contents"]
    assert [o["Key"] for o in listed] == ["staged/1.txt", "staged/2.txt", "staged/3.txt"]
    for obj in listed:
        s3.delete_object(Bucket="faults", Key=obj["Key"])
    proxy.script(Rule("PutObject", "500", nth=3, times=0, code="InternalError"))
    assert _run(tmp_path, _staged(command)) == {"Make": "failed"}
    log = capsys.readouterr()
    assert "PutObject operation" in log.out + log.err
    assert "Contents" not in s3.list_objects_v2(Bucket="faults", Prefix="staged/")

"""workerGroup on Airflow's CeleryExecutor, for real: Redis as the broker, PostgreSQL as the
metadata DB, the scheduler, DAG processor, api-server, triggerer and two Celery workers, each
serving its own queue and the default one. Nothing is stubbed."""

from __future__ import annotations

import json
import os
import shutil
import signal
import time
from pathlib import Path

import pytest

from tests.airflow_servers import api_get, api_post, running_airflow, wait_for
from tests.conftest import sns_inbox

LOADER = Path(__file__).parents[2] / "dags" / "dp_airflow_loader.py"
WORKERS = {"worker-a": "group-a,default", "worker-b": "group-b,default"}


def _definition(out: Path, topic: str) -> dict:
    def shell(object_id: str, command: str, **fields: object) -> dict:
        return {"id": object_id, "type": "ShellCommandActivity", "command": command, **fields}

    return {
        "objects": [
            {"id": "Default", "scheduleType": "ondemand", "failureAndRerunMode": "cascade"},
            {
                "id": "Anywhere",
                "type": "Ec2Resource",
                "role": "DataPipelineDefaultRole",
                "resourceRole": "DataPipelineDefaultResourceRole",
            },
            shell("A", f"echo a > {out}/a.txt", workerGroup="group-a", onSuccess={"ref": "Ok"}),
            shell("B", f"echo b > {out}/b.txt", workerGroup="group-b"),
            shell("C", f"echo c > {out}/c.txt", runsOn={"ref": "Anywhere"}),
            # No worker serves group-c: it waits queued until Airflow gives up on it.
            shell(
                "Orphan",
                f"echo o > {out}/o.txt",
                workerGroup="group-c",
                maximumRetries="0",
                onFail={"ref": "Failed"},
            ),
            # Killed with its worker: it writes its output whole at the end, or not at all.
            shell(
                "Slow",
                f"sleep 60; echo done > {out}/slow.tmp && mv {out}/slow.tmp {out}/slow.txt",
                runsOn={"ref": "Anywhere"},
                dependsOn=[{"ref": "A"}, {"ref": "B"}, {"ref": "C"}],
                maximumRetries="0",
                onFail={"ref": "Failed"},
            ),
            {
                "id": "Ok",
                "type": "SnsAlarm",
                "topicArn": topic,
                "role": "r",
                "subject": "#{node.@id} succeeded",
                "message": "ok",
            },
            {
                "id": "Failed",
                "type": "SnsAlarm",
                "topicArn": topic,
                "role": "r",
                "subject": "#{node.@id} failed",
                "message": "#{node.errorMessage}",
            },
        ]
    }


@pytest.mark.slow
def test_worker_groups_run_on_the_celery_workers_serving_their_queues(
    tmp_path: Path, aws, postgres
) -> None:
    from tests.servers import MissingRedis, redis_server

    topic, queue = sns_inbox(aws, "celery", "celery-inbox")
    out = tmp_path / "out"
    out.mkdir()
    dags = tmp_path / "dags"
    dags.mkdir()
    shutil.copy(LOADER, dags / LOADER.name)
    (dags / "groups.json").write_text(json.dumps(_definition(out, topic)))
    database = f"postgresql+psycopg2://postgres@127.0.0.1:{postgres['port']}/postgres"
    try:
        broker = redis_server()
        broker_url = broker.__enter__()
    except MissingRedis as exc:
        pytest.fail(str(exc))
    try:
        extra = {
            "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": database,
            "AIRFLOW__CELERY__BROKER_URL": broker_url,
            "AIRFLOW__CELERY__RESULT_BACKEND": f"db+postgresql://postgres@127.0.0.1:{postgres['port']}/postgres",
            "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": "20",
            "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT_DETECTION_INTERVAL": "5",
            "AIRFLOW__SCHEDULER__TASK_QUEUED_TIMEOUT": "20",
            "AIRFLOW__SCHEDULER__TASK_QUEUED_TIMEOUT_CHECK_INTERVAL": "5",
            "AIRFLOW__SCHEDULER__NUM_STUCK_IN_QUEUED_RETRIES": "0",
            "AIRFLOW_CONN_AWS_DEFAULT": os.environ["AIRFLOW_CONN_AWS_DEFAULT"],
        }
        with running_airflow(tmp_path / "home", dags, extra, workers=WORKERS) as env:
            pids = json.loads(env["DP_AIRFLOW_TEST_WORKERS"])
            wait_for(
                lambda: api_get(env, "/api/v2/dags?dag_id_pattern=groups")["dags"],
                180,
                "the DAG is parsed",
            )
            run = api_post(env, "/api/v2/dags/groups/dagRuns", {"logical_date": None})
            path = f"/api/v2/dags/groups/dagRuns/{run['dag_run_id']}"

            def instances() -> dict[str, dict]:
                listed = api_get(env, f"{path}/taskInstances")["task_instances"]
                return {ti["task_id"]: ti for ti in listed}

            slow = wait_for(
                lambda: (i := instances()["Slow"])["state"] == "running" and i["hostname"] and i,
                240,
                "Slow runs on a worker",
            )
            victim = slow["hostname"]
            time.sleep(3)
            os.killpg(pids[victim], signal.SIGTERM)  # the worker and the task it runs
            time.sleep(2)
            os.killpg(pids[victim], signal.SIGKILL)
            final = wait_for(
                lambda: (r := api_get(env, path))["state"] in ("success", "failed") and r,
                180,
                "the run ends after the worker was killed",
            )
            table = instances()
        print("activity  workerGroup  queue     worker    state")
        for task_id in ("A", "B", "C", "Slow", "Orphan"):
            ti = table[task_id]
            group = {"A": "group-a", "B": "group-b", "Orphan": "group-c"}.get(task_id, "(none)")
            host = ti["hostname"] or "(none)"
            print(f"{task_id:<9} {group:<12} {ti['queue']:<9} {host:<9} {ti['state']}")
    finally:
        broker.__exit__(None, None, None)
    assert final["state"] == "failed"
    assert (table["A"]["queue"], table["A"]["hostname"], table["A"]["state"]) == (
        "group-a",
        "worker-a",
        "success",
    )
    assert (table["B"]["queue"], table["B"]["hostname"], table["B"]["state"]) == (
        "group-b",
        "worker-b",
        "success",
    )
    assert table["C"]["queue"] == "default" and table["C"]["state"] == "success"
    assert table["Slow"]["queue"] == "default" and table["Slow"]["state"] == "failed"
    assert (table["Orphan"]["queue"], table["Orphan"]["hostname"], table["Orphan"]["state"]) == (
        "group-c",
        "",
        "failed",
    )
    assert sorted(p.name for p in out.iterdir()) == ["a.txt", "b.txt", "c.txt"]  # nothing half
    # Read messages are deleted: SQS shows an undeleted one again after its visibility timeout.
    seen: list[str] = []
    deadline = time.monotonic() + 90
    sqs = aws("sqs")
    while time.monotonic() < deadline and set(seen) != {"@A", "@Orphan", "@Slow"}:
        received = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1)
        for message in received.get("Messages", []):
            seen.append(json.loads(message["Body"])["Subject"].split("_")[0])
            sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
    assert sorted(seen) == ["@A", "@Orphan", "@Slow"]  # each alarm once

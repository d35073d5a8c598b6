"""Killed and restarted processes under the real scheduler (LocalExecutor): a task killed with
SIGKILL in the middle of a SQL script leaves nothing committed and its rerun gives the same
result; the database server restarted under a script fails the attempt with nothing committed;
a copy killed mid-upload leaves no object and its rerun removes the upload it left; the
scheduler and DAG processor restarted in the middle of a catch-up neither skip nor duplicate
an instance."""

from __future__ import annotations

import json
import os
import shutil
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg2
import pytest

from tests.airflow_servers import api_get, api_post, restart, running_airflow, wait_for
from tests.fault_proxy import FaultProxy, Rule

LOADER = Path(__file__).parents[2] / "dags" / "dp_airflow_loader.py"
QUICK_HEARTBEAT_CHECK = {
    "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": "15",
    "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT_DETECTION_INTERVAL": "5",
}
"""A task whose processes vanished is failed after 15 s rather than 5 minutes."""


def _dags(tmp_path: Path, name: str, definition: dict) -> Path:
    dags = tmp_path / "dags"
    dags.mkdir()
    shutil.copy(LOADER, dags / LOADER.name)
    (dags / f"{name}.json").write_text(json.dumps(definition))
    return dags


def _rows(pg: dict, sql: str) -> list[tuple]:
    with psycopg2.connect(**pg) as connection, connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall() if cursor.description else []


def _instance(env: dict[str, str], path: str, task_id: str) -> dict:
    return api_get(env, f"{path}/taskInstances/{task_id}")


def _running(env: dict[str, str], path: str, task_id: str) -> dict:
    return wait_for(
        lambda: (ti := _instance(env, path, task_id))["state"] == "running" and ti["pid"] and ti,
        180,
        f"{task_id} runs",
    )


def _kill(pid: int) -> None:
    """SIGKILL to the task's supervisor and its children: no handler runs, nothing is cleaned."""
    import psutil

    supervisor = psutil.Process(pid)
    for process in [supervisor, *supervisor.children(recursive=True)]:
        process.kill()


def _two_inserts(postgres: dict, table: str) -> dict:
    """A SqlActivity inserting 1, sleeping ``myPause`` seconds (a Variable can shorten it for
    the rerun), then inserting 2: all in one transaction."""
    return {
        "objects": [
            {"id": "Default", "scheduleType": "ondemand", "workerGroup": "wg"},
            {
                "id": "Db",
                "type": "JdbcDatabase",
                "connectionString": f"jdbc:postgresql://127.0.0.1:{postgres['port']}/postgres",
                "jdbcDriverClass": "org.postgresql.Driver",
                "username": "postgres",
                "*password": "unused",
            },
            {
                "id": "Load",
                "type": "SqlActivity",
                "database": {"ref": "Db"},
                "script": f"INSERT INTO {table} VALUES (1); SELECT pg_sleep(#{{myPause}}); "
                f"INSERT INTO {table} VALUES (2);",
                "maximumRetries": "0",
            },
        ],
        "parameters": [{"id": "myPause", "type": "Integer", "default": "60"}],
    }


def _wait_for_sleep(postgres: dict) -> None:
    wait_for(
        lambda: _rows(
            postgres,
            "SELECT count(*) FROM pg_stat_activity WHERE "
            "query LIKE '%pg_sleep%' AND pid <> pg_backend_pid()",
        )[0][0],
        60,
        "the script reaches pg_sleep",
    )


def _rerun(env: dict[str, str], dag_id: str, run_id: str, task_id: str) -> None:
    """Clear the failed task, as an operator does in the UI, and wait for its success."""
    api_post(
        env,
        f"/api/v2/dags/{dag_id}/clearTaskInstances",
        {"dry_run": False, "dag_run_id": run_id, "task_ids": [task_id]},
    )
    path = f"/api/v2/dags/{dag_id}/dagRuns/{run_id}"
    wait_for(lambda: _instance(env, path, task_id)["state"] == "success", 180, "the rerun")


@pytest.mark.slow
def test_a_sql_script_killed_mid_way_commits_nothing_and_its_rerun_is_whole(
    tmp_path: Path, postgres: dict
) -> None:
    _rows(postgres, "DROP TABLE IF EXISTS killed; CREATE TABLE killed (n int)")
    definition = _two_inserts(postgres, "killed")
    dags = _dags(tmp_path, "killsql", definition)
    with running_airflow(tmp_path / "home", dags, QUICK_HEARTBEAT_CHECK) as env:
        wait_for(lambda: api_get(env, "/api/v2/dags?dag_id_pattern=killsql")["dags"], 180, "parse")
        run = api_post(env, "/api/v2/dags/killsql/dagRuns", {"logical_date": None})
        path = f"/api/v2/dags/killsql/dagRuns/{run['dag_run_id']}"
        running = _running(env, path, "Load")
        _wait_for_sleep(postgres)
        _kill(running["pid"])
        failed = wait_for(
            lambda: (ti := _instance(env, path, "Load"))["state"] == "failed" and ti,
            120,
            "the killed attempt is failed by the heartbeat check",
        )
        assert failed["try_number"] == 1
        assert _rows(postgres, "SELECT n FROM killed") == []  # the first INSERT rolled back
        api_post(env, "/api/v2/variables", {"key": "killsql__myPause", "value": "0"})
        _rerun(env, "killsql", run["dag_run_id"], "Load")
    assert sorted(_rows(postgres, "SELECT n FROM killed")) == [(1,), (2,)]


@pytest.mark.slow
def test_restarted_scheduler_and_dag_processor_skip_and_repeat_no_instance(
    tmp_path: Path,
) -> None:
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    start = now - timedelta(minutes=60 + now.minute % 15)
    out = tmp_path / "instances.txt"
    definition = {
        "objects": [
            {"id": "Default", "scheduleType": "cron", "schedule": {"ref": "Every15"}},
            {
                "id": "Every15",
                "type": "Schedule",
                "period": "15 minutes",
                "startDateTime": start.strftime("%Y-%m-%dT%H:%M:%S"),
                "occurrences": "4",
            },
            {
                "id": "Work",
                "type": "ShellCommandActivity",
                "workerGroup": "wg",
                "command": f"sleep 6; echo '#{{@scheduledStartTime}}' >> {out}",
            },
        ]
    }
    expected = [(start + timedelta(minutes=15 * n)).strftime("%Y-%m-%dT%H:%M:%S") for n in range(4)]
    dags = _dags(tmp_path, "catchup", definition)
    with running_airflow(tmp_path / "home", dags, {"AIRFLOW__DP_AIRFLOW__CATCHUP": "True"}) as env:

        def states() -> list[str]:
            runs = api_get(env, "/api/v2/dags/catchup/dagRuns?limit=100")["dag_runs"]
            return [r["state"] for r in runs]

        wait_for(lambda: "success" in states(), 240, "a first instance finishes")
        assert states().count("success") < 4, "too late to restart mid-run"
        restart(env, "scheduler")
        restart(env, "dag-processor")
        wait_for(lambda: states().count("success") == 4, 300, "every instance finishes")
        time.sleep(10)  # a duplicate would be scheduled within a few loops
        runs = api_get(env, "/api/v2/dags/catchup/dagRuns?limit=100")["dag_runs"]
    starts = sorted(r["data_interval_start"][:19] for r in runs)
    assert starts == expected
    assert sorted(out.read_text().split()) == expected  # each instance ran exactly once


@pytest.mark.slow
def test_a_database_restarted_mid_script_fails_the_attempt_and_commits_nothing(
    tmp_path: Path,
) -> None:
    from tests.servers import postgres_cluster, restart_postgres

    with postgres_cluster() as own:  # its own cluster: the session's is not restarted
        _rows(own, "CREATE TABLE restarted (n int)")
        dags = _dags(tmp_path, "restartdb", _two_inserts(own, "restarted"))
        with running_airflow(tmp_path / "home", dags) as env:
            wait_for(
                lambda: api_get(env, "/api/v2/dags?dag_id_pattern=restartdb")["dags"], 180, "parse"
            )
            run = api_post(env, "/api/v2/dags/restartdb/dagRuns", {"logical_date": None})
            path = f"/api/v2/dags/restartdb/dagRuns/{run['dag_run_id']}"
            _running(env, path, "Load")
            _wait_for_sleep(own)
            restart_postgres(own)
            failed = wait_for(
                lambda: (ti := _instance(env, path, "Load"))["state"] == "failed" and ti,
                60,
                "the attempt fails when its connection is closed",
            )
            assert failed["try_number"] == 1
            log = json.dumps(api_get(env, f"{path}/taskInstances/Load/logs/1?full_content=true"))
            said = log[log.index("Load: statement 2 of 3") :][:400]
            assert said.startswith("Load: statement 2 of 3 (script line 1) failed, nothing was")
            assert "server closed the connection unexpectedly" in said, said
            assert _rows(own, "SELECT n FROM restarted") == []  # the open transaction rolled back
            api_post(env, "/api/v2/variables", {"key": "restartdb__myPause", "value": "0"})
            _rerun(env, "restartdb", run["dag_run_id"], "Load")
        assert sorted(_rows(own, "SELECT n FROM restarted")) == [(1,), (2,)]


@pytest.mark.slow
def test_a_copy_killed_mid_upload_leaves_no_object_and_its_rerun_cleans_up(
    tmp_path: Path, aws, proxy: FaultProxy
) -> None:
    from tests.runtime.test_faults import BIG, _copy

    s3 = aws("s3")
    s3.create_bucket(Bucket="faults")
    s3.put_object(Bucket="faults", Key="in/data.csv", Body=BIG)
    proxy.script(Rule("UploadPart", "delay", nth=2, seconds=600))  # holds the last part
    dags = _dags(tmp_path, "killcopy", _copy("out.tsv"))
    extra = {
        **QUICK_HEARTBEAT_CHECK,
        "AIRFLOW_CONN_AWS_DEFAULT": os.environ["AIRFLOW_CONN_AWS_DEFAULT"],
    }
    with running_airflow(tmp_path / "home", dags, extra) as env:
        wait_for(lambda: api_get(env, "/api/v2/dags?dag_id_pattern=killcopy")["dags"], 180, "parse")
        run = api_post(env, "/api/v2/dags/killcopy/dagRuns", {"logical_date": None})
        path = f"/api/v2/dags/killcopy/dagRuns/{run['dag_run_id']}"
        running = _running(env, path, "Copy")
        wait_for(lambda: proxy.seen["UploadPart"] >= 2, 120, "the first part is uploaded")
        _kill(running["pid"])
        wait_for(
            lambda: _instance(env, path, "Copy")["state"] == "failed",
            120,
            "the killed attempt is failed by the heartbeat check",
        )
        assert "Contents" not in s3.list_objects_v2(Bucket="faults", Prefix="out")
        (left,) = s3.list_multipart_uploads(Bucket="faults")["Uploads"]  # a killed process
        assert left["Key"] == "out.tsv"  # cannot abort its upload
        proxy.script()
        _rerun(env, "killcopy", run["dag_run_id"], "Copy")
    assert s3.get_object(Bucket="faults", Key="out.tsv")["Body"].read() == BIG.replace(b",", b"\t")
    assert "Uploads" not in s3.list_multipart_uploads(Bucket="faults")  # the rerun aborted it

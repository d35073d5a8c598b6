"""Killed and restarted processes under the real scheduler (LocalExecutor): a task killed with
SIGKILL in the middle of a SQL script leaves nothing committed and its rerun gives the same
result; the scheduler and DAG processor restarted in the middle of a catch-up neither skip nor
duplicate an instance."""

from __future__ import annotations

import json
import shutil
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg2
import pytest

from tests.airflow_servers import api_get, api_post, restart, running_airflow, wait_for

LOADER = Path(__file__).parents[2] / "dags" / "dp_airflow_loader.py"


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


@pytest.mark.slow
def test_a_sql_script_killed_mid_way_commits_nothing_and_its_rerun_is_whole(
    tmp_path: Path, postgres: dict
) -> None:
    import psutil

    _rows(postgres, "DROP TABLE IF EXISTS killed; CREATE TABLE killed (n int)")
    definition = {
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
                "script": "INSERT INTO killed VALUES (1); SELECT pg_sleep(#{myPause}); "
                "INSERT INTO killed VALUES (2);",
                "maximumRetries": "0",
            },
        ],
        "parameters": [{"id": "myPause", "type": "Integer", "default": "60"}],
    }
    extra = {
        "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": "15",
        "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT_DETECTION_INTERVAL": "5",
    }
    dags = _dags(tmp_path, "killsql", definition)
    with running_airflow(tmp_path / "home", dags, extra) as env:
        wait_for(lambda: api_get(env, "/api/v2/dags?dag_id_pattern=killsql")["dags"], 180, "parse")
        run = api_post(env, "/api/v2/dags/killsql/dagRuns", {"logical_date": None})
        path = f"/api/v2/dags/killsql/dagRuns/{run['dag_run_id']}"
        running = wait_for(
            lambda: (ti := _instance(env, path, "Load"))["state"] == "running" and ti["pid"] and ti,
            180,
            "Load runs",
        )
        wait_for(
            lambda: _rows(
                postgres,
                "SELECT count(*) FROM pg_stat_activity WHERE "
                "query LIKE '%pg_sleep%' AND pid <> pg_backend_pid()",
            )[0][0],
            60,
            "the script reaches pg_sleep",
        )
        supervisor = psutil.Process(running["pid"])
        for process in [supervisor, *supervisor.children(recursive=True)]:
            process.kill()  # SIGKILL: no handler runs, no rollback is sent
        failed = wait_for(
            lambda: (ti := _instance(env, path, "Load"))["state"] == "failed" and ti,
            120,
            "the killed attempt is failed by the heartbeat check",
        )
        assert failed["try_number"] == 1
        assert _rows(postgres, "SELECT n FROM killed") == []  # the first INSERT rolled back
        api_post(env, "/api/v2/variables", {"key": "killsql__myPause", "value": "0"})
        api_post(
            env,
            "/api/v2/dags/killsql/clearTaskInstances",
            {"dry_run": False, "dag_run_id": run["dag_run_id"], "task_ids": ["Load"]},
        )
        wait_for(lambda: _instance(env, path, "Load")["state"] == "success", 180, "the rerun")
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

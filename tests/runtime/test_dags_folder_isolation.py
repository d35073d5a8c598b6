"""The dags folder under the real DAG processor and scheduler: one broken definition never hurts
the others.

A DagBag keeps the good DAGs of a file that has an import error, but the DAG processor marks
every DAG of that file stale; so the proof of isolation is the metadata the real processes write,
read here through the REST API.
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.airflow_servers import api_get, running_airflow, wait_for

LOADER = Path(__file__).parents[2] / "dags" / "dp_airflow_loader.py"
BROKEN = """{"objects": [
  {"id": "Default", "scheduleType": "ondemand", "workerGroup": "wg"},
  {"id": "A", "type": "ShellComandActivity", "command": "true"}
]}
"""


def _scheduled(start: datetime, command: str = "true", extra: dict | None = None) -> dict:
    return {
        "objects": [
            {"id": "Default", "scheduleType": "cron", "schedule": {"ref": "Every15"}},
            {
                "id": "Every15",
                "type": "Schedule",
                "period": "15 minutes",
                "startDateTime": start.strftime("%Y-%m-%dT%H:%M:%S"),
            },
            {"id": "Work", "type": "ShellCommandActivity", "command": command, "workerGroup": "wg"},
            *([extra] if extra else []),
        ]
    }


def _dags_folder(root: Path, start: datetime) -> Path:
    dags = root / "dags"
    (dags / "orders").mkdir(parents=True)
    (dags / "ignored").mkdir()
    shutil.copy(LOADER, dags / LOADER.name)
    (dags / "good.json").write_text(json.dumps(_scheduled(start)))
    # A pipeline folder as AWS's samples ship them, its value in values.json.
    folder = _scheduled(start, "echo #{myTable}")
    (dags / "orders" / "definition.json").write_text(json.dumps(folder))
    (dags / "orders" / "parameters.json").write_text(
        json.dumps({"parameters": [{"id": "myTable"}]})
    )
    (dags / "orders" / "values.json").write_text(json.dumps({"values": {"myTable": "orders"}}))
    (dags / "broken.json").write_text(BROKEN)
    # 20,000 objects: about 2 s of CPU to translate, four times the budget the test sets.
    flat = [
        {"id": f"A{i}", "type": "ShellCommandActivity", "command": "true", "workerGroup": "wg"}
        for i in range(20_000)
    ]
    (dags / "slow.json").write_text(
        json.dumps({"objects": [{"id": "Default", "scheduleType": "ondemand"}, *flat]})
    )
    (dags / "package.json").write_text('{"name": "tools", "dependencies": {}}')
    (dags / "ignored" / "hidden.json").write_text(json.dumps(_scheduled(start)))
    (dags / ".airflowignore").write_text("ignored/\n")
    return dags


def _dag(env: dict[str, str], dag_id: str) -> dict[str, Any] | None:
    try:
        return api_get(env, f"/api/v2/dags/{dag_id}")  # type: ignore[no-any-return]
    except OSError:
        return None


def _tags(dag: dict[str, Any]) -> set[str]:
    return {t["name"] for t in dag["tags"]}


@pytest.mark.slow
def test_a_broken_definition_never_makes_another_pipeline_stale(tmp_path: Path) -> None:
    # Started an hour ago, on a 15-minute period: catch-up is off, so of the past instances only
    # the latest (45 minutes after the start) runs, at once; the next falls 90 s from now.
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=90) - timedelta(hours=1)
    dags = _dags_folder(tmp_path, start)
    extra = {"AIRFLOW__DP_AIRFLOW__DEFINITION_TIME_BUDGET": "0.5"}
    with running_airflow(tmp_path / "home", dags, extra) as env:
        expected = ["broken", "good", "orders", "slow"]
        wait_for(
            lambda: all(_dag(env, d) for d in expected),
            120,
            "the DAG processor listed every pipeline",
        )
        listed = api_get(env, "/api/v2/dags?limit=100&exclude_stale=false")
        assert sorted(d["dag_id"] for d in listed["dags"]) == expected  # no package, no ignored
        assert api_get(env, "/api/v2/importErrors")["total_entries"] == 0
        for dag_id in ("good", "orders"):
            dag = _dag(env, dag_id)
            assert dag is not None and not dag["is_stale"]
            assert dag["next_dagrun_run_after"] is not None
        # The scheduler runs the good pipelines (catch-up off: the latest interval).
        wait_for(
            lambda: all(
                api_get(env, f"/api/v2/dags/{d}/dagRuns")["total_entries"]
                for d in ("good", "orders")
            ),
            120,
            "the scheduler created runs of the good pipelines",
        )
        broken = _dag(env, "broken")
        assert broken is not None and not broken["is_stale"]
        assert _tags(broken) == {"dp-airflow", "dp-airflow:invalid"}
        assert broken["timetable_summary"] is None or broken["timetable_summary"] == "None"
        assert (
            f"{dags / 'broken.json'}:3:23: error: [A.type] unknown object type"
            in (broken["description"])
        )
        slow = _dag(env, "slow")
        assert slow is not None and "dp-airflow:invalid" in _tags(slow)
        assert "translation stopped after 0.5 s of CPU time" in slow["description"]

        # Fixing the file brings its DAG back; deleting one makes only that one stale.
        (dags / "broken.json").write_text(BROKEN.replace("ShellComand", "ShellCommand"))
        (dags / "good.json").unlink()
        wait_for(
            lambda: (b := _dag(env, "broken")) and "dp-airflow:invalid" not in _tags(b),
            120,
            "the fixed definition's DAG came back",
        )
        wait_for(
            lambda: (g := _dag(env, "good")) and g["is_stale"], 120, "good.json's DAG is stale"
        )
        for dag_id in ("orders", "broken", "slow"):
            dag = _dag(env, dag_id)
            assert dag is not None and not dag["is_stale"], dag_id
        assert api_get(env, "/api/v2/importErrors")["total_entries"] == 0
        runs = api_get(env, "/api/v2/dags/orders/dagRuns")["dag_runs"]
        ran = {r["logical_date"][:19] for r in runs}
        latest_due, next_due = (
            (start + timedelta(minutes=m)).strftime("%Y-%m-%dT%H:%M:%S") for m in (45, 60)
        )
        assert latest_due in ran and ran <= {latest_due, next_due}, ran


def _succeeded(env: dict[str, str], dag_id: str) -> bool:
    runs = api_get(env, f"/api/v2/dags/{dag_id}/dagRuns")["dag_runs"]
    return any(r["state"] == "success" for r in runs)

"""Per-task wall time under the real scheduler: ShellCommandActivity against BashOperator.

Run: ``.venv/bin/python benchmarks/scheduler_tasks.py [runs]`` (default 3 runs of each).

One dags folder holds the loader with 100 corpus-like definitions plus a 10-activity
ShellCommandActivity chain (``true`` each), and a hand-written DAG file with the same chain of
BashOperators. The api-server, scheduler, DAG processor and triggerer run with LocalExecutor
(tests/airflow_servers.py), so every task is a worker process that parses its DAG file first:
for ours the loader, which reads only that DAG's definition; for the hand-written one its file.
The DAGs are triggered in turn, one run at a time; per-task wall time is the run's duration
(first task start to last task end) divided by 10. Prints a Markdown table.
"""

from __future__ import annotations

import json
import shutil
import statistics
import sys
import tempfile
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from parse import definition  # noqa: E402 - a sibling benchmark's generator

from tests.airflow_servers import api_get, api_post, running_airflow, wait_for  # noqa: E402

TASKS = 10
HAND = f"""
from datetime import UTC, datetime

from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG, chain

with DAG("hand_chain", schedule=None, start_date=datetime(2024, 1, 1, tzinfo=UTC)):
    chain(*[BashOperator(task_id=f"T{{n}}", bash_command="true") for n in range({TASKS})])
"""


def chain_definition() -> dict:
    objects: list[dict] = [{"id": "Default", "scheduleType": "ondemand", "workerGroup": "w"}]
    for n in range(TASKS):
        activity: dict = {"id": f"T{n}", "type": "ShellCommandActivity", "command": "true"}
        if n:
            activity["dependsOn"] = {"ref": f"T{n - 1}"}
        objects.append(activity)
    return {"objects": objects}


def run_once(env: dict[str, str], dag_id: str) -> float:
    run = api_post(env, f"/api/v2/dags/{dag_id}/dagRuns", {"logical_date": None})
    path = f"/api/v2/dags/{dag_id}/dagRuns/{run['dag_run_id']}"
    wait_for(lambda: api_get(env, path)["state"] in ("success", "failed"), 600, dag_id)
    tis = api_get(env, f"{path}/taskInstances")["task_instances"]
    assert {ti["state"] for ti in tis} == {"success"}, tis
    start = min(datetime.fromisoformat(ti["start_date"]) for ti in tis)
    end = max(datetime.fromisoformat(ti["end_date"]) for ti in tis)
    return (end - start).total_seconds() / TASKS


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    home = Path(tempfile.mkdtemp(prefix="dp-bench-scheduler-"))
    dags = home / "dags"
    dags.mkdir()
    shutil.copy(ROOT / "dags" / "dp_airflow_loader.py", dags)
    for index in range(100):
        (dags / f"pipeline_{index:03d}.json").write_text(json.dumps(definition(index)))
    (dags / "ours_chain.json").write_text(json.dumps(chain_definition()))
    (dags / "hand_chain.py").write_text(HAND)
    with running_airflow(home / "airflow", dags) as env:
        wanted = {"ours_chain", "hand_chain"}
        wait_for(
            lambda: wanted <= {d["dag_id"] for d in api_get(env, "/api/v2/dags?limit=200")["dags"]},
            300,
            "both DAGs parsed",
        )
        for dag_id in wanted:  # warm-up: the first run pays for caches
            run_once(env, dag_id)
        ours, hand = [], []
        for _ in range(runs):
            ours.append(run_once(env, "ours_chain"))
            hand.append(run_once(env, "hand_chain"))
    ours_s, hand_s = statistics.median(ours), statistics.median(hand)
    print("| per task, median of", runs, "| ShellCommandActivity | BashOperator | ratio |")
    print("|---|---|---|---|")
    print(f"| wall time | {ours_s:.2f} s | {hand_s:.2f} s | {ours_s / hand_s:.2f}× |")
    print("runs:", [round(x, 2) for x in ours], [round(x, 2) for x in hand], file=sys.stderr)


if __name__ == "__main__":
    main()

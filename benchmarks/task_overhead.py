"""Per-task overhead: ShellCommandActivity against Airflow's BashOperator.

Run: ``.venv/bin/python benchmarks/task_overhead.py`` (makes its own throwaway Airflow home).

Two DAGs of 10 chained tasks running ``true``, one made by the loader from a definition, one
hand-written with BashOperator; each is run with ``dag.test()`` five times after a warm-up, and
the median run time divided by 10 is the cost per task.
"""

from __future__ import annotations

import json
import os
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

HOME = Path(tempfile.mkdtemp(prefix="dp-bench-"))
os.environ.update(
    {
        "AIRFLOW_HOME": str(HOME),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{HOME}/airflow.db",
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_FOLDER": str(HOME),
    }
)
TASKS = 10


def ours() -> object:
    from dp_airflow.loader import file_dags

    objects: list[dict[str, object]] = [
        {"id": "Default", "scheduleType": "ondemand", "workerGroup": "w"}
    ]
    for n in range(TASKS):
        activity: dict[str, object] = {
            "id": f"T{n}",
            "type": "ShellCommandActivity",
            "command": "true",
        }
        if n:
            activity["dependsOn"] = {"ref": f"T{n - 1}"}
        objects.append(activity)
    path = HOME / "ours.json"
    path.write_text(json.dumps({"objects": objects}))
    (dag,) = file_dags(path, catchup=False)
    return dag


def hand() -> object:
    from airflow.providers.standard.operators.bash import BashOperator
    from airflow.sdk import DAG, chain

    with DAG("hand", schedule=None, start_date=datetime(2024, 1, 1, tzinfo=UTC)) as dag:
        chain(*[BashOperator(task_id=f"T{n}", bash_command="true") for n in range(TASKS)])
    return dag


def timed_runs(dag: object) -> float:
    from airflow.dag_processing.bundles.manager import DagBundlesManager
    from airflow.dag_processing.dagbag import DagBag, sync_bag_to_db

    DagBundlesManager().sync_bundles_to_db()
    bag = DagBag(dag_folder=os.devnull, collect_dags=False)
    bag.bag_dag(dag)  # type: ignore[arg-type]
    sync_bag_to_db(bag, "dags-folder", None)
    dag.test()  # type: ignore[attr-defined]  # warm-up
    times = []
    for _ in range(5):
        started = time.perf_counter()
        run = dag.test()  # type: ignore[attr-defined]
        times.append(time.perf_counter() - started)
        assert run.state == "success"
    return statistics.median(times) / TASKS


if __name__ == "__main__":
    from airflow.utils import db

    db.initdb()
    ours_s, hand_s = timed_runs(ours()), timed_runs(hand())
    print(
        f"| per task (dag.test, {TASKS} chained tasks) | {ours_s * 1e3:.0f} ms | "
        f"{hand_s * 1e3:.0f} ms | {ours_s / hand_s:.2f}× |"
    )

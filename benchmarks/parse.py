"""DagBag parse time: N definitions through the loader against the same DAGs hand-written.

Run: ``AIRFLOW_HOME=$(mktemp -d) .venv/bin/python benchmarks/parse.py [N]`` (default 20).

Each definition is corpus-like: a schedule, two S3 data nodes, a precondition, three shell
activities. The hand-written equivalent builds the same tasks and edges with BashOperator (the
precondition's sensor upstream of every step that reads its node, as the loader does). Also
measured: a worker's parse for one task of a 100-object definition among N definitions (Airflow
parses the DAG file again before every task; the loader then reads only that DAG's definition).
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def definition(index: int, activities: int = 3) -> dict:
    objects = [
        {
            "id": "Default",
            "scheduleType": "cron",
            "schedule": {"ref": "Daily"},
            "workerGroup": "etl",
            "failureAndRerunMode": "CASCADE",
        },
        {
            "id": "Daily",
            "type": "Schedule",
            "period": "1 day",
            "startDateTime": "2024-01-01T00:00:00",
        },
        {
            "id": "Raw",
            "type": "S3DataNode",
            "directoryPath": f"s3://bucket-{index}/raw/#{{format(@scheduledStartTime,'YYYY-MM-dd')}}/",
            "precondition": {"ref": "Ready"},
        },
        {
            "id": "Ready",
            "type": "S3PrefixNotEmpty",
            "role": "r",
            "s3Prefix": "#{node.directoryPath}",
        },
        {"id": "Clean", "type": "S3DataNode", "directoryPath": f"s3://bucket-{index}/clean/"},
    ]
    previous = None
    for n in range(activities):
        activity = {
            "id": f"Step{n}",
            "type": "ShellCommandActivity",
            "command": f"echo step {n} #{{input.directoryPath}}",
            "input": {"ref": "Raw"},
            "output": {"ref": "Clean"},
        }
        if previous:
            activity["dependsOn"] = {"ref": previous}
        objects.append(activity)
        previous = activity["id"]
    return {"objects": objects}


HAND_WRITTEN = """
from datetime import datetime, timedelta, UTC
from airflow.sdk import DAG
from airflow.providers.standard.operators.bash import BashOperator
from airflow.providers.amazon.aws.sensors.s3 import S3KeySensor

for index in range({count}):
    defaults = {{"retries": 2, "retry_delay": timedelta(minutes=10)}}
    start = datetime(2024, 1, 1, tzinfo=UTC)
    with DAG(f"hand_{{index}}", schedule="@daily", start_date=start, catchup=False,
             default_args=defaults) as dag:
        ready = S3KeySensor(task_id="Raw__Ready", bucket_key=f"s3://bucket-{{index}}/raw/*",
                            wildcard_match=True, mode="reschedule")
        previous = None
        for n in range(3):
            command = f"echo step {{n}} s3://bucket-{{index}}/raw/" + "{{{{ ds }}}}/"
            task = BashOperator(task_id=f"Step{{n}}", bash_command=command, queue="etl")
            ready >> task  # each step reads the checked node, as in the definition
            if previous is not None:
                previous >> task
            previous = task
    globals()[dag.dag_id] = dag
"""


def parse_seconds(folder: Path, repeat: int = 5) -> float:
    from airflow.dag_processing.dagbag import DagBag

    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        bag = DagBag(dag_folder=str(folder))
        times.append(time.perf_counter() - started)
        assert not bag.import_errors, bag.import_errors
    return statistics.median(times)


def measure(ours: Path, worker: Path) -> tuple[float, float, float]:
    parse_seconds(ours, 1)  # warm imports (and, when on, the parse cache)
    parse_seconds(worker, 1)
    ours_s = parse_seconds(ours)
    os.environ["_AIRFLOW_PARSING_CONTEXT_DAG_ID"] = "big"
    os.environ["_AIRFLOW_PARSING_CONTEXT_TASK_ID"] = "Step50"
    worker_s = parse_seconds(worker)
    del os.environ["_AIRFLOW_PARSING_CONTEXT_DAG_ID"]
    del os.environ["_AIRFLOW_PARSING_CONTEXT_TASK_ID"]
    return ours_s, worker_s, parse_seconds(worker)


def main(count: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        ours, hand, worker = Path(tmp, "ours"), Path(tmp, "hand"), Path(tmp, "worker")
        for folder in (ours, hand, worker):
            folder.mkdir()
        shutil.copy(ROOT / "dags" / "dp_airflow_loader.py", ours)
        shutil.copy(ROOT / "dags" / "dp_airflow_loader.py", worker)
        for index in range(count):
            (ours / f"pipeline-{index}.json").write_text(json.dumps(definition(index)))
            (worker / f"pipeline-{index}.json").write_text(json.dumps(definition(index)))
        (worker / "big.json").write_text(json.dumps(definition(0, activities=95)))
        (hand / "hand_dags.py").write_text(HAND_WRITTEN.format(count=count))
        parse_seconds(hand, 1)
        hand_s = parse_seconds(hand)
        results = {}
        for label, cache in (("no parse cache", "off"), ("parse cache warm", f"{tmp}/cache")):
            os.environ["AIRFLOW__DP_AIRFLOW__PARSE_CACHE_DIR"] = cache
            results[label] = measure(ours, worker)
    for label, (ours_s, worker_s, full_s) in results.items():
        print(
            f"| {count} definitions, {label} | {ours_s:.3f} s | {hand_s:.3f} s "
            f"| {ours_s / hand_s:.1f}× |"
        )
        print(
            f"| worker parse for one task of a 100-object definition (among {count + 1}), "
            f"{label} | {worker_s:.3f} s | full parse of the same folder {full_s:.3f} s | |"
        )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)

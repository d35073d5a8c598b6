"""Load: many scheduled pipelines catching up under the real scheduler (LocalExecutor).

Run: ``.venv/bin/python benchmarks/load.py [definitions] [hours] [parallelism]`` (defaults 200, 2,
8; ``DP_AIRFLOW_BENCH_NO_CACHE=1`` turns the parse cache off). Each definition has a 15-minute
schedule that started ``hours`` ago and three chained shell activities (``true``), so catch-up
makes ``definitions × hours × 4`` runs. The api-server, scheduler, DAG processor and triggerer
run from tests/airflow_servers.py with SQLite. Prints: runs completed, missed and duplicated
instances, wall time, the DAG processor's last loop time for the loader file, the delay from a
run's creation to its first task's start and from a task's queueing to its start (median, p95),
and each component's peak memory (its process tree's RSS).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.airflow_servers import api_get, running_airflow, wait_for  # noqa: E402

COMPONENTS = ("api-server", "scheduler", "dag-processor", "triggerer")


def definition(start: datetime, occurrences: int) -> dict:
    objects: list[dict] = [
        {"id": "Default", "scheduleType": "cron", "schedule": {"ref": "Every15"}},
        {
            "id": "Every15",
            "type": "Schedule",
            "period": "15 minutes",
            "startDateTime": start.strftime("%Y-%m-%dT%H:%M:%S"),
            "occurrences": str(occurrences),
        },
    ]
    for n in range(3):
        step: dict = {"id": f"Step{n}", "type": "ShellCommandActivity", "command": "true"}
        step["workerGroup"] = "load"
        if n:
            step["dependsOn"] = {"ref": f"Step{n - 1}"}
        objects.append(step)
    return {"objects": objects}


def _peaks(stop: threading.Event, peaks: dict[str, float]) -> None:
    import psutil

    while not stop.is_set():
        for process in psutil.process_iter(["cmdline"]):
            line = " ".join(process.info["cmdline"] or [])
            for name in COMPONENTS:
                if f"airflow {name}" in line or f"airflow {name.replace('-', '_')}" in line:
                    try:
                        tree = [process, *process.children(recursive=True)]
                        rss = sum(p.memory_info().rss for p in tree) / 2**20
                    except psutil.Error:
                        continue
                    peaks[name] = max(peaks.get(name, 0.0), rss)
        stop.wait(2)


def _quantiles(values: list[float]) -> str:
    if not values:
        return "n/a"
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return f"median {statistics.median(ordered):.1f} s, p95 {p95:.1f} s"


def _seconds(later: str | None, earlier: str | None) -> float | None:
    if not later or not earlier:
        return None
    return (datetime.fromisoformat(later) - datetime.fromisoformat(earlier)).total_seconds()


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    hours = float(sys.argv[2]) if len(sys.argv) > 2 else 2
    parallelism = sys.argv[3] if len(sys.argv) > 3 else "8"
    occurrences = int(hours * 4)
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    start = now - timedelta(minutes=15 * occurrences + now.minute % 15)
    home = Path(tempfile.mkdtemp(prefix="dp-bench-load-"))
    dags = home / "dags"
    dags.mkdir()
    shutil.copy(ROOT / "dags" / "dp_airflow_loader.py", dags)
    for index in range(count):
        text = json.dumps(definition(start, occurrences))
        (dags / f"load_{index:03d}.json").write_text(text)
    extra = {
        "AIRFLOW__DP_AIRFLOW__CATCHUP": "True",
        "AIRFLOW__CORE__PARALLELISM": parallelism,
        "AIRFLOW__CORE__MAX_ACTIVE_TASKS_PER_DAG": "16",
    }
    if os.environ.get("DP_AIRFLOW_BENCH_NO_CACHE"):
        extra["AIRFLOW__DP_AIRFLOW__PARSE_CACHE_DIR"] = "off"
    expected = count * occurrences
    peaks: dict[str, float] = {}
    stop = threading.Event()
    sampler = threading.Thread(target=_peaks, args=(stop, peaks), daemon=True)
    began = time.monotonic()
    with running_airflow(home / "airflow", dags, extra) as env:
        sampler.start()

        def finished() -> int:
            answer = api_get(env, "/api/v2/dags/~/dagRuns?state=success&limit=1")
            return int(answer["total_entries"])

        wait_for(lambda: finished() >= expected, 6 * 3600, f"{expected} runs finish")
        wall = time.monotonic() - began
        runs: list[dict] = []
        for index in range(count):
            dag_id = f"load_{index:03d}"
            runs += api_get(env, f"/api/v2/dags/{dag_id}/dagRuns?limit=100")["dag_runs"]
        first_starts, queue_waits = [], []
        for index in range(0, count, max(1, count // 20)):  # a sample of DAGs for task timing
            dag_id = f"load_{index:03d}"
            tis = api_get(env, f"/api/v2/dags/{dag_id}/dagRuns/~/taskInstances?limit=1000")
            by_run: dict[str, list[dict]] = {}
            for ti in tis["task_instances"]:
                by_run.setdefault(ti["dag_run_id"], []).append(ti)
                if (wait := _seconds(ti.get("start_date"), ti.get("queued_when"))) is not None:
                    queue_waits.append(wait)
            for run in runs:
                if run["dag_id"] == dag_id and by_run.get(run["dag_run_id"]):
                    begin = min(t["start_date"] for t in by_run[run["dag_run_id"]])
                    if (delay := _seconds(begin, run.get("queued_at"))) is not None:
                        first_starts.append(delay)
    stop.set()
    intervals = [(r["dag_id"], r["data_interval_start"]) for r in runs]
    duplicated = len(intervals) - len(set(intervals))
    wanted = {
        (f"load_{i:03d}", (start + timedelta(minutes=15 * k)).isoformat().replace("+00:00", "Z"))
        for i in range(count)
        for k in range(occurrences)
    }
    got = {(d, s.replace("+00:00", "Z")) for d, s in intervals}
    log = (home / "airflow" / "dag-processor.log").read_text(errors="replace")
    loops = re.findall(
        r"dp_airflow_loader\.py\s+(?:\d+\s+)?(?:\S+\s+)?(\d+)\s+(\d+)\s+([\d.]+)s", log
    )
    print(f"| definitions | {count} (catch-up over {hours:g} h, {occurrences} runs each) |")
    print(f"| runs completed | {sum(r['state'] == 'success' for r in runs)} of {expected} |")
    print(f"| missed instances | {len(wanted - got)} |")
    print(f"| duplicated instances | {duplicated} |")
    print(f"| wall time | {wall:.0f} s ({3 * expected / wall:.1f} tasks/s) |")
    loop = f"{loops[-1][2]} s" if loops else "n/a"
    print(f"| DAG processor, last loop of the loader file | {loop} |")
    print(f"| run created to its first task's start | {_quantiles(first_starts)} |")
    print(f"| task queued to started | {_quantiles(queue_waits)} |")
    for name in COMPONENTS:
        print(f"| peak memory, {name} (with its children) | {peaks.get(name, 0):.0f} MiB |")


if __name__ == "__main__":
    main()

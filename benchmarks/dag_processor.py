"""Parse time in the real DAG processor: the loader against the same DAGs hand-written.

Run: ``.venv/bin/python benchmarks/dag_processor.py [N] [seconds]`` (defaults: 100 definitions,
90 s of parsing for each side).

Two runs of ``airflow dag-processor`` (one parsing process, SQLite, a throwaway AIRFLOW_HOME,
files parsed every 5 s): one on a dags folder holding the loader and N corpus-like definitions
(those of ``benchmarks/parse.py``), one on a folder holding the same N DAGs hand-written in one
file. The processor parses each file in a fresh process, so this counts what the in-process
``parse.py`` leaves out: the parsing process's imports (Airflow imports a DAG file's
``airflow.*`` modules once, before it forks; dp-airflow's own modules are imported by every
parse) and Airflow's serialization of the DAGs. Reported: the median of the "Last Duration" the
processor logs for the file, over its parses after the first (the first runs with the parse
cache still empty, so it is reported apart).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from parse import HAND_WRITTEN, definition  # noqa: E402

from tests.airflow_servers import airflow_env, free_port  # noqa: E402

STATS = re.compile(
    r"(?P<file>dp_airflow_loader\.py|hand_dags\.py)\s+(?:\d+\s+)?(?:[\d.]+s\s+)?"
    r"(?P<dags>\d+)\s+(?P<errors>\d+)\s+(?P<last>[\d.]+)s\s+(?P<at>\S+)"
)


def parse_durations(home: Path, dags: Path, seconds: float) -> list[tuple[str, float, int]]:
    """(finish time, last duration, DAG count) of each parse the processor logged."""
    airflow = shutil.which("airflow", path=str(Path(sys.executable).parent))
    assert airflow is not None
    env = {
        **airflow_env(home, dags, free_port()),
        "AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES": "1",
        "AIRFLOW__DAG_PROCESSOR__PRINT_STATS_INTERVAL": "2",
    }
    subprocess.run([airflow, "db", "migrate"], env=env, check=True, capture_output=True)
    log_path = home / "dag-processor.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [airflow, "dag-processor"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            time.sleep(seconds)
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=60)
    seen: dict[str, tuple[str, float, int]] = {}
    for match in STATS.finditer(log_path.read_text(errors="replace")):
        seen[match["at"]] = (match["at"], float(match["last"]), int(match["dags"]))
    return sorted(seen.values())


def main(count: int, seconds: float) -> None:
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for side in ("ours", "hand"):
            home, dags = Path(tmp, side, "home"), Path(tmp, side, "dags")
            home.mkdir(parents=True)
            dags.mkdir()
            if side == "ours":
                shutil.copy(ROOT / "dags" / "dp_airflow_loader.py", dags)
                for index in range(count):
                    text = json.dumps(definition(index))
                    (dags / f"pipeline-{index}.json").write_text(text)
            else:
                (dags / "hand_dags.py").write_text(HAND_WRITTEN.format(count=count))
            results[side] = parse_durations(home, dags, seconds)
    ours, hand = results["ours"], results["hand"]
    assert ours and hand, "the processor logged no parse; see its log"
    assert all(n == count for _, _, n in ours + hand), "a parse did not give every DAG"
    ours_warm = statistics.median(d for _, d, _ in ours[1:])
    hand_warm = statistics.median(d for _, d, _ in hand[1:])
    print("| what | dp-airflow loader | hand-written | ratio |")
    print("|---|---|---|---|")
    print(
        f"| first parse ({count} DAGs; ours with the parse cache empty) | {ours[0][1]:.2f} s "
        f"| {hand[0][1]:.2f} s | {ours[0][1] / hand[0][1]:.2f}× |"
    )
    print(
        f"| later parses, median ({len(ours) - 1} and {len(hand) - 1} parses) "
        f"| {ours_warm:.2f} s | {hand_warm:.2f} s | {ours_warm / hand_warm:.2f}× |"
    )


if __name__ == "__main__":
    main(
        int(sys.argv[1]) if len(sys.argv) > 1 else 100,
        float(sys.argv[2]) if len(sys.argv) > 2 else 90.0,
    )

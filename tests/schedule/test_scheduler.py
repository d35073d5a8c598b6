"""One run started by the real Airflow scheduler on a Data Pipeline timetable.

The DAG's schedule starts in the past with two 15-minute instances, so with catch-up the
scheduler creates both runs at once; each task records the data interval it saw.
"""

from __future__ import annotations

import json
import textwrap
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.airflow_servers import running_airflow

DAG_FILE = """
# An Airflow DAG on dp-airflow's DataPipelineTimetable (scheduler end-to-end test).
import json
from datetime import datetime, UTC

from airflow.sdk import DAG, task

from dp_airflow.model.slots import Period, PeriodUnit
from dp_airflow.schedule.model import RunAt, ScheduleSpec
from dp_airflow.schedule.pipeline import NamedSchedule
from dp_airflow.schedule.timetable import DataPipelineTimetable

START = datetime.fromisoformat({start!r})
TIMETABLE = DataPipelineTimetable([NamedSchedule(
    "Every15", ScheduleSpec(START, Period(15, PeriodUnit.MINUTES), RunAt.START, occurrences=2))])

with DAG("dp_scheduler_e2e", schedule=TIMETABLE, start_date=START, catchup=True):

    @task
    def record(data_interval_start=None, data_interval_end=None, run_id=None):
        with open({out!r}, "a") as out:
            out.write(json.dumps([data_interval_start.isoformat(),
                                  data_interval_end.isoformat(), run_id]) + "\\n")

    record()
"""


@pytest.mark.slow
def test_scheduler_runs_each_instance_with_its_interval(tmp_path: Path) -> None:
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    start = now - timedelta(minutes=30 + now.minute % 15)
    out = tmp_path / "intervals.jsonl"
    dags = tmp_path / "dags"
    dags.mkdir()
    (dags / "dp_scheduler_e2e.py").write_text(
        textwrap.dedent(DAG_FILE.format(start=start.isoformat(), out=str(out)))
    )
    with running_airflow(tmp_path / "home", dags):
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            if out.exists() and len(out.read_text().splitlines()) >= 2:
                break
            time.sleep(2)
        time.sleep(3)  # a third run, if the timetable wrongly made one, would show by now
    seen = sorted(json.loads(line) for line in out.read_text().splitlines())
    expected = [
        [start.isoformat(), (start + timedelta(minutes=15)).isoformat()],
        [(start + timedelta(minutes=15)).isoformat(), (start + timedelta(minutes=30)).isoformat()],
    ]
    assert [s[:2] for s in seen] == expected
    assert all(s[2].startswith("scheduled__") for s in seen)
    print("observed intervals:", seen)

"""A definition dropped beside the loader runs under the real scheduler, on its own schedule."""

from __future__ import annotations

import json
import shutil
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.airflow_servers import running_airflow

LOADER = Path(__file__).parents[2] / "dags" / "dp_airflow_loader.py"


@pytest.mark.slow
def test_loader_pipeline_runs_under_the_scheduler(tmp_path: Path) -> None:
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    start = now - timedelta(minutes=20 + now.minute % 15)
    out = tmp_path / "ran.txt"
    definition = {
        "objects": [
            {
                "id": "Default",
                "scheduleType": "cron",
                "schedule": {"ref": "Every15"},
                "workerGroup": "default",
            },
            {
                "id": "Every15",
                "type": "Schedule",
                "period": "15 minutes",
                "startDateTime": start.strftime("%Y-%m-%dT%H:%M:%S"),
                "occurrences": "1",
            },
            {
                "id": "Hello",
                "type": "ShellCommandActivity",
                "command": f'echo "hello #{{@scheduledStartTime}} $1" >> {out}',
                "scriptArgument": "#{myWho}",
            },
        ],
        "parameters": [{"id": "myWho", "default": "world"}],
    }
    dags = tmp_path / "dags"
    dags.mkdir()
    shutil.copy(LOADER, dags / LOADER.name)
    (dags / "hello.json").write_text(json.dumps(definition))
    # The instance lies in the past: only with catch-up on does the scheduler run it.
    with running_airflow(tmp_path / "home", dags, {"AIRFLOW__DP_AIRFLOW__CATCHUP": "True"}):
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and not out.exists():
            time.sleep(2)
    assert out.read_text() == f"hello {start.strftime('%Y-%m-%dT%H:%M:%S')} world\n"

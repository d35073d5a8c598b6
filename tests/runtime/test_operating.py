"""docs/operating.md against a real api-server and scheduler: every REST call and every command
in its tables runs, in the order written, on an example pipeline, and must succeed."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from tests.airflow_servers import api_get, running_airflow, wait_for

ROOT = Path(__file__).parents[2]
DOC = ROOT / "docs" / "operating.md"
LOADER = ROOT / "dags" / "dp_airflow_loader.py"
BIN = Path(sys.executable).parent
_REST = re.compile(r"`(GET|POST|PATCH|PUT|DELETE) (/api/v2/[^`]+)`(?: `(\{[^`]*\})`)?")
_COMMAND = re.compile(r"`((?:airflow|dp-airflow) [^`]+)`")


@dataclass
class Call:
    row: str
    kind: str  # "rest" or "command"
    text: str
    body: str | None = None


def documented_calls() -> list[Call]:
    """Every REST call (with its body) and command of the doc's tables, in order."""
    calls: list[Call] = []
    for line in DOC.read_text().splitlines():
        if not line.startswith("| ") or line.startswith(("|---", "| Data Pipeline |")):
            continue
        cells = [c.strip() for c in line.strip("|").split(" | ")]
        if len(cells) < 4:
            continue
        row = cells[0]
        for method, path, body in _REST.findall(cells[2]):
            calls.append(Call(row, "rest", f"{method} {path}", body or None))
        calls += [Call(row, "command", text) for text in _COMMAND.findall(cells[3])]
    return calls


def test_the_doc_has_calls_for_every_table() -> None:
    calls = documented_calls()
    assert sum(c.kind == "rest" for c in calls) >= 20
    assert sum(c.kind == "command" for c in calls) >= 15
    rows = {c.row for c in calls}
    for action in ("`activate-pipeline`", "`list-runs`", "`set-status RERUN`", "`delete-pipeline`"):
        assert action in rows


DEFINITION = {
    "objects": [
        {
            "id": "Default",
            "scheduleType": "cron",
            "schedule": {"ref": "Daily"},
            "workerGroup": "wg",
            "failureAndRerunMode": "cascade",
        },
        {
            "id": "Daily",
            "type": "Schedule",
            "period": "1 day",
            "startDateTime": "2024-01-01T00:00:00",
        },
        {"id": "Say", "type": "ShellCommandActivity", "command": "echo #{myTitle}"},
        {
            "id": "Next",
            "type": "ShellCommandActivity",
            "command": "true",
            "dependsOn": {"ref": "Say"},
        },
    ],
    "parameters": [{"id": "myTitle", "default": "hello"}],
}


@pytest.mark.slow
def test_every_documented_call_works(tmp_path: Path) -> None:
    dags = tmp_path / "dags"
    dags.mkdir()
    shutil.copy(LOADER, dags / LOADER.name)
    definition = dags / "hello.json"
    definition.write_text(json.dumps(DEFINITION))
    now = datetime.now(UTC).replace(microsecond=0)
    places = {
        "dag_id": "hello",
        "task_id": "Say",
        "definition": str(definition),
        "from": (now - timedelta(days=2)).isoformat(),
        "to": now.isoformat(),
    }
    ran: list[str] = []
    with running_airflow(tmp_path / "home", dags) as servers:
        env = {**servers, "AIRFLOW_API_URL": servers["DP_AIRFLOW_TEST_API"]}
        env["PATH"] = f"{BIN}:/usr/bin:/bin"
        wait_for(lambda: _exists(env, "/api/v2/dags/hello"), 120, "the DAG was parsed")
        for call in documented_calls():
            if call.row.startswith("`list-runs`") and "run_id" not in places:
                places["run_id"] = _a_finished_run(env)
            text = _fill(call.text, places)
            if "backfills" in text or "--start-timestamp" in text:
                _backfills_done(env)  # Airflow runs one backfill of a DAG at a time
            if "DELETE" in text or "dags delete" in text:
                # The file stays, so the DAG processor brings the deleted DAG back: each of the
                # row's deletions finds it.
                wait_for(lambda: _exists(env, "/api/v2/dags/hello"), 120, "the DAG is back")
            if call.kind == "rest":
                method, path = text.split(" ", 1)
                _rest(env, method, path, _fill(call.body, places) if call.body else None)
            else:
                output = _command(env, text)
                if text.endswith("--status FINISHED --format json"):
                    rows = json.loads(output)
                    assert rows and {r["status"] for r in rows} == {"FINISHED"}
                    assert {r["name"] for r in rows} >= {"Say", "Next"}
                    assert all(r["id"] == f"@{r['name']}_{r['scheduledStartTime']}" for r in rows)
            ran.append(f"{call.row}: {text}")
        # The same start interval written with another offset selects the same instances (the
        # doc's last rows deleted the DAG and its runs: it comes back from its file, runs again).
        wait_for(lambda: _exists(env, "/api/v2/dags/hello"), 120, "the DAG is back")
        _rest(env, "POST", "/api/v2/dags/hello/dagRuns", '{"logical_date": null}')
        # Every run settled, the scheduled one too (the latest due instance runs at once): the
        # two listings below must see the same states.
        _all_runs_finished(env)
        shifted = timezone(timedelta(hours=5, minutes=30))
        in_utc, in_ist = (
            json.loads(
                _command(
                    env,
                    f"dp-airflow runs hello --format json --start-interval "
                    f"{(now - timedelta(days=2)).astimezone(zone).isoformat()},"
                    f"{datetime.now(UTC).astimezone(zone).isoformat()}",
                )
            )
            for zone in (UTC, shifted)
        )
        assert in_utc and in_ist == in_utc
        # A window ending a minute before the first start, written at +05:30, selects nothing
        # (compared as text, "…T08:…+05:30" would sort after "…T03:…Z").
        first = min(datetime.fromisoformat(r["startedTime"] + "+00:00") for r in in_utc)
        window = [(first - timedelta(days=1)), (first - timedelta(minutes=1))]
        early = ",".join(moment.astimezone(shifted).isoformat() for moment in window)
        assert (
            json.loads(
                _command(env, f"dp-airflow runs hello --format json --start-interval {early}")
            )
            == []
        )
    (tmp_path / "ran.txt").write_text("\n".join(ran))
    print("\n".join(ran))
    assert len(ran) == len(documented_calls())


def _fill(text: str, places: dict[str, str]) -> str:
    for key, value in places.items():
        text = text.replace("{" + key + "}", value)
    assert "{dag_id}" not in text and not re.search(r"\{[a-z_]+\}", text), text
    return text


def _exists(env: dict[str, str], path: str) -> bool:
    try:
        api_get(env, path)
        return True
    except OSError:
        return False


def _backfills_done(env: dict[str, str]) -> None:
    def done() -> bool:
        backfills = api_get(env, "/api/v2/backfills?dag_id=hello")["backfills"]
        return all(b["completed_at"] for b in backfills)

    wait_for(done, 180, "the pipeline's backfill completed")


def _a_finished_run(env: dict[str, str]) -> str:
    """The id of a run of the pipeline that has finished (the doc's trigger rows made some)."""

    def finished() -> str | None:
        runs = api_get(env, "/api/v2/dags/hello/dagRuns")["dag_runs"]
        done = [r["dag_run_id"] for r in runs if r["state"] in ("success", "failed")]
        return done[0] if done else None

    return str(wait_for(finished, 180, "a run of the pipeline finished"))


def _all_runs_finished(env: dict[str, str]) -> None:
    def finished() -> bool:
        runs = api_get(env, "/api/v2/dags/hello/dagRuns")["dag_runs"]
        return bool(runs) and all(r["state"] in ("success", "failed") for r in runs)

    wait_for(finished, 180, "every run of the pipeline finished")


def _rest(env: dict[str, str], method: str, path: str, body: str | None) -> None:
    url = env["DP_AIRFLOW_TEST_API"] + path.replace(" ", "%20").replace("+", "%2B")
    data = body.encode() if body is not None else None
    request = urllib.request.Request(url, data, {"Content-Type": "application/json"}, method=method)
    for attempt in range(5):
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                assert 200 <= answer.status < 300
                return
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode(errors="replace")
            # SQLite's single writer: a concurrent write is retried, as make run does.
            if exc.code >= 500 and attempt < 4:
                time.sleep(2)
                continue
            raise AssertionError(f"{method} {path} {body}: HTTP {exc.code}: {detail}") from None


def _command(env: dict[str, str], text: str) -> str:
    argv = shlex.split(text)
    argv[0] = str(BIN / argv[0])
    for attempt in range(5):
        result = subprocess.run(
            argv, env=env, capture_output=True, text=True, timeout=300, check=False
        )
        if result.returncode == 0:
            return result.stdout
        if "database is locked" in result.stderr and attempt < 4:
            time.sleep(2)
            continue
        raise AssertionError(f"{text}: exit {result.returncode}\n{result.stderr[-2000:]}")
    raise AssertionError("unreachable")

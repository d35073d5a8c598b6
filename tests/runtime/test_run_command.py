"""``dp-airflow run``: one instance through real Airflow in a throwaway home."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

CLI = str(Path(sys.executable).parent / "dp-airflow")


def _run(*args: str, **extra_env: str) -> subprocess.CompletedProcess[str]:
    """``dp-airflow run`` in a subprocess with no Airflow settings but ``extra_env``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")} | extra_env
    return subprocess.run(
        [CLI, "run", *args], capture_output=True, text=True, env=env, timeout=300, check=False
    )


def _write(tmp_path: Path, objects: list[dict], parameters: list[dict] | None = None) -> Path:
    path = tmp_path / "pipe.json"
    path.write_text(json.dumps({"objects": objects, "parameters": parameters or []}))
    return path


@pytest.mark.slow
def test_run_reports_every_object_as_json(tmp_path: Path) -> None:
    out = tmp_path / "out.txt"
    path = _write(
        tmp_path,
        [
            {"id": "Default", "scheduleType": "ondemand", "workerGroup": "wg"},
            {
                "id": "Say",
                "type": "ShellCommandActivity",
                "command": f"echo $1 > {out}",
                "scriptArgument": "#{myWho}",
            },
            {
                "id": "After",
                "type": "ShellCommandActivity",
                "command": f"grep -q moon {out}",
                "dependsOn": {"ref": "Say"},
                "precondition": {"ref": "HasOut"},
            },
            {"id": "HasOut", "type": "ShellCommandPrecondition", "command": f"test -s {out}"},
        ],
        [{"id": "myWho", "default": "world"}],
    )
    result = _run("--format", "json", "--param", "myWho=moon", str(path))
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout) == {
        "dag_id": "pipe",
        "state": "success",
        "objects": {"Say": "success", "HasOut": "success", "After": "success"},
    }
    assert out.read_text() == "moon\n"


@pytest.mark.slow
def test_a_failing_task_makes_the_run_fail(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        [
            {"id": "Default", "scheduleType": "ondemand", "workerGroup": "wg"},
            {
                "id": "Fail",
                "type": "ShellCommandActivity",
                "command": "exit 4",
                "maximumRetries": "0",
            },
            {
                "id": "Never",
                "type": "ShellCommandActivity",
                "command": "true",
                "dependsOn": {"ref": "Fail"},
            },
        ],
    )
    result = _run(str(path))
    assert result.returncode == 1
    assert result.stdout.splitlines() == ["Fail: failed", "Never: upstream_failed", "pipe: failed"]


def test_an_invalid_definition_is_reported_not_run(tmp_path: Path) -> None:
    path = _write(tmp_path, [{"id": "A", "type": "Nope"}])
    result = _run(str(path))
    assert result.returncode == 1
    assert f"{path}:1:" in result.stderr and "unknown object type 'Nope'" in result.stderr
    assert result.stdout == ""

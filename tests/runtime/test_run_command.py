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
        "status": {"Say": "FINISHED", "HasOut": "FINISHED", "After": "FINISHED"},
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
    assert result.stdout.splitlines() == [
        "Fail: failed (FAILED)",
        "Never: upstream_failed (WAITING_ON_DEPENDENCIES)",
        "pipe: failed",
    ]


def test_an_invalid_definition_is_reported_not_run(tmp_path: Path) -> None:
    path = _write(tmp_path, [{"id": "A", "type": "Nope"}])
    result = _run(str(path))
    assert result.returncode == 1
    assert f"{path}:1:" in result.stderr and "unknown object type 'Nope'" in result.stderr
    assert result.stdout == ""


SECRET = "pw-7f3a9c-never-stored"
TYPED = {
    "objects": [
        {"id": "Default", "scheduleType": "ondemand", "workerGroup": "wg"},
        {
            "id": "Use",
            "type": "ShellCommandActivity",
            "command": 'echo "#{myTable} #{myPort} $1" > "$2"',
            "scriptArgument": ["#{*myPassword}", "#{myOut}"],
        },
    ],
    "parameters": [
        {"id": "myTable"},
        {"id": "myPort", "type": "Integer"},
        {"id": "*myPassword"},
        {"id": "myOut"},
    ],
}


def _typed(tmp_path: Path) -> Path:
    path = tmp_path / "typed.json"
    path.write_text(json.dumps(TYPED))
    out = tmp_path / "out.txt"
    (tmp_path / "typed.values.json").write_text(
        json.dumps({"values": {"myTable": "orders", "myOut": str(out)}})
    )
    return path


def _occurrences(root: Path, secret: str) -> list[str]:
    """Where ``secret`` occurs under ``root``: in any file's bytes, and in every value of every
    SQLite table, decompressed (zlib, gzip) when it is binary."""
    import gzip
    import sqlite3
    import zlib

    needle = secret.encode()
    found = [str(p) for p in root.rglob("*") if p.is_file() and needle in p.read_bytes()]
    for db in root.rglob("*.db"):
        connection = sqlite3.connect(db)
        tables = [
            r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
        ]
        for table in tables:
            for row in connection.execute(f'SELECT * FROM "{table}"'):
                for value in row:
                    data = value if isinstance(value, bytes) else str(value).encode()
                    for unpack in (lambda b: b, zlib.decompress, gzip.decompress):
                        try:
                            if needle in unpack(data):
                                found.append(f"{db}:{table}")
                        except Exception:
                            pass
        connection.close()
    return found


@pytest.mark.slow
def test_values_file_typed_value_and_secret_on_the_command_line(tmp_path: Path) -> None:
    path = _typed(tmp_path)
    home = tmp_path / "tmp"
    home.mkdir()
    result = _run(
        str(path), "--parameter-values", "myPort=5432", f"*myPassword={SECRET}", TMPDIR=str(home)
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.splitlines() == ["Use: success (FINISHED)", "typed: success"]
    # The task got every value: the values file's, the typed one and the secret.
    assert (tmp_path / "out.txt").read_text() == f"orders 5432 {SECRET}\n"
    # The secret is nowhere else: not in the output, the metadata DB, the logs, the cache.
    assert SECRET not in result.stdout + result.stderr
    (run_home,) = home.glob("dp-airflow-run-*")
    assert (run_home / "airflow.db").is_file()
    assert _occurrences(home, SECRET) == []


def test_a_value_of_the_wrong_type_is_located_at_the_flag(tmp_path: Path) -> None:
    path = _typed(tmp_path)
    result = _run(str(path), "--parameter-values", "myPort=5432x", f"*myPassword={SECRET}")
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "--parameter-values: error: [myPort.value] value '5432x' is not an integer for an "
        "Integer parameter"
    ]
    assert SECRET not in result.stderr


def test_a_parameter_without_any_value_stops_the_run(tmp_path: Path) -> None:
    result = _run("--param", "myPort=1", str(_typed(tmp_path)))
    assert result.returncode == 1
    assert "[*myPassword] parameter '*myPassword' has no value; give one with" in result.stderr
    assert "the Airflow Variable typed__myPassword or myPassword" in result.stderr
    assert result.stdout == ""


@pytest.mark.slow
def test_a_cascade_failed_object_is_reported_with_its_status_name(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        [
            {
                "id": "Default",
                "scheduleType": "ondemand",
                "workerGroup": "wg",
                "failureAndRerunMode": "cascade",
                "maximumRetries": "0",
            },
            {"id": "Fail", "type": "ShellCommandActivity", "command": "exit 4"},
            {
                "id": "Next",
                "type": "ShellCommandActivity",
                "command": "true",
                "dependsOn": {"ref": "Fail"},
            },
        ],
    )
    result = _run("--format", "json", str(path))
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["objects"] == {"Fail": "failed", "Next": "failed"}
    assert report["status"] == {"Fail": "FAILED", "Next": "CASCADE_FAILED"}

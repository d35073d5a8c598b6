"""Real Airflow 3 components for end-to-end tests: api-server, dag-processor, scheduler, triggerer.

Each runs as its own process group in a throwaway AIRFLOW_HOME with SQLite, bound to 127.0.0.1,
and is stopped when the context exits.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def airflow_env(home: Path, dags: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__CORE__PARALLELISM": "2",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home}/airflow.db",
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(port),
            "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{port}",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
            "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "5",
            "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "1",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


@contextmanager
def running_airflow(
    home: Path,
    dags: Path,
    extra_env: dict[str, str] | None = None,
    workers: dict[str, str] | None = None,
) -> Iterator[dict[str, str]]:
    """Migrate the DB, start the four components, yield the environment, stop them.

    ``workers`` (name → comma-separated queues) adds an ``airflow celery worker`` each, whose
    task instances report ``name`` as their hostname; their process ids are in the yielded
    environment as ``DP_AIRFLOW_TEST_WORKERS`` (JSON)."""
    airflow = shutil.which("airflow", path=str(Path(sys.executable).parent))
    assert airflow is not None, "airflow is not installed in the test environment"
    port = free_port()
    env = {**airflow_env(home, dags, port), **(extra_env or {})}
    subprocess.run([airflow, "db", "migrate"], env=env, check=True, capture_output=True)
    processes: list[subprocess.Popen[bytes]] = []
    commands = {
        "api-server": [airflow, "api-server"],
        "dag-processor": [airflow, "dag-processor"],
        "scheduler": [airflow, "scheduler", "--skip-serve-logs"],
        "triggerer": [airflow, "triggerer", "--skip-serve-logs"],
    }
    worker_env = {
        name: {
            **env,
            "DP_AIRFLOW_TEST_WORKER": name,
            "AIRFLOW__CORE__HOSTNAME_CALLABLE": "tests.worker_identity.hostname",
            "PYTHONPATH": str(Path(__file__).parents[1]),
        }
        for name in workers or {}
    }
    for name, queues in (workers or {}).items():
        commands[name] = [
            airflow,
            "celery",
            "worker",
            "--queues",
            queues,
            "--concurrency",
            "2",
            "--celery-hostname",
            f"{name}@%h",
            "--skip-serve-logs",
            "--without-mingle",
            "--without-gossip",
        ]
    started: dict[str, subprocess.Popen[bytes]] = {}

    def start(name: str) -> None:
        log = (home / f"{name}.log").open("ab")
        process = subprocess.Popen(
            commands[name],
            env=worker_env.get(name, env),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        processes.append(process)
        started[name] = process

    try:
        for name in commands:
            start(name)
        _wait_for_api(port, processes)
        env["DP_AIRFLOW_TEST_API"] = f"http://127.0.0.1:{port}"
        env["DP_AIRFLOW_TEST_WORKERS"] = json.dumps({n: started[n].pid for n in workers or {}})
        _RESTARTERS[env["DP_AIRFLOW_TEST_API"]] = lambda name: _restart(name, started, start)
        yield env
    finally:
        for process in processes:
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 30
        for process in processes:
            try:
                process.wait(timeout=max(1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()


_RESTARTERS: dict[str, Callable[[str], None]] = {}


def restart(env: dict[str, str], name: str) -> None:
    """Stop a running component and start it again: SIGTERM to its main process, as a process
    manager stopping the service sends it (the LocalExecutor then lets running tasks finish),
    SIGKILL to its whole group after 60 s."""
    _RESTARTERS[env["DP_AIRFLOW_TEST_API"]](name)


def _restart(
    name: str, started: dict[str, subprocess.Popen[bytes]], start: Callable[[str], None]
) -> None:
    process = started[name]
    process.terminate()
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    start(name)


def _wait_for_api(port: int, processes: list[subprocess.Popen[bytes]]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in processes):
            raise RuntimeError("an Airflow component exited early; see its log")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/version", timeout=2):
                return
        except OSError:
            time.sleep(1)
    raise TimeoutError("the api-server did not answer within 120 s")


def api_get(env: dict[str, str], path: str) -> Any:
    """GET a path of the running api-server's REST API (all users are admins in tests)."""
    import json

    with urllib.request.urlopen(f"{env['DP_AIRFLOW_TEST_API']}{path}", timeout=10) as answer:
        return json.loads(answer.read())


def api_post(env: dict[str, str], path: str, body: dict[str, Any]) -> Any:
    """POST JSON to a path of the running api-server's REST API."""
    import json

    request = urllib.request.Request(
        f"{env['DP_AIRFLOW_TEST_API']}{path}",
        json.dumps(body).encode(),
        {"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read())


def wait_for(condition: Callable[[], Any], seconds: float, what: str) -> Any:
    """Poll ``condition`` until it returns something truthy; fail naming ``what``."""
    deadline = time.monotonic() + seconds
    last: Any = None
    while time.monotonic() < deadline:
        last = condition()
        if last:
            return last
        time.sleep(2)
    raise AssertionError(f"not within {seconds:g} s: {what} (last: {last!r})")

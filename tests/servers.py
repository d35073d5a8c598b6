"""Throwaway servers for tests and benchmarks: a PostgreSQL cluster from Debian's binaries."""

from __future__ import annotations

import glob
import os
import pathlib
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class MissingPostgres(RuntimeError):
    """Debian's PostgreSQL server binaries are not installed."""


@contextmanager
def postgres_cluster() -> Iterator[dict[str, Any]]:
    """initdb + pg_ctl start on a free port of 127.0.0.1; psycopg2 parameters; stopped after."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise MissingPostgres(
            "PostgreSQL binaries missing: `make test` installs Debian's postgresql"
        )
    bin_dir = pathlib.Path(found[-1]).parent
    # Not under pytest's tmp dirs: those are private to root, and the cluster runs as postgres.
    root = pathlib.Path(tempfile.mkdtemp(prefix="dp-airflow-pg-"))
    data = root / "data"
    as_user: list[str] = []
    if os.geteuid() == 0:  # initdb refuses root: run the cluster as the postgres user
        shutil.chown(root, "postgres", "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    initdb = [str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust"]
    subprocess.run([*as_user, *initdb, "--no-sync", "-E", "UTF8"], check=True, capture_output=True)
    options = f"-c listen_addresses=127.0.0.1 -p {port} -k {root} -c fsync=off"
    pg_ctl = [*as_user, str(bin_dir / "pg_ctl"), "-D", str(data)]
    subprocess.run(
        [*pg_ctl, "-l", str(root / "server.log"), "-o", options, "-w", "start"],
        check=True,
        capture_output=True,
    )
    _PG_CTL[port] = [*pg_ctl, "-l", str(root / "server.log")]
    try:
        yield {"host": "127.0.0.1", "port": port, "user": "postgres", "dbname": "postgres"}
    finally:
        del _PG_CTL[port]
        subprocess.run([*pg_ctl, "-m", "fast", "-w", "stop"], check=False, capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


_PG_CTL: dict[int, list[str]] = {}
"""pg_ctl of each running cluster, by port, with its log file: a server started without one
writes to pg_ctl's output, and waiting for that output would wait for the server to end."""


def restart_postgres(params: dict[str, Any]) -> None:
    """Restart a cluster of ``postgres_cluster`` (fast shutdown: open transactions are rolled
    back and their connections closed), as an operator's ``systemctl restart`` would."""
    subprocess.run(
        [*_PG_CTL[params["port"]], "-m", "fast", "-w", "restart"], check=True, capture_output=True
    )


class MissingMariaDB(RuntimeError):
    """Debian's MariaDB server binaries are not installed."""


@contextmanager
def mariadb_server() -> Iterator[dict[str, Any]]:
    """A throwaway MariaDB server on a free port of 127.0.0.1; PyMySQL parameters (user ``dp``,
    password ``dp``, database ``dp``); stopped and removed after."""
    server, install = (
        shutil.which("mariadbd", path="/usr/sbin:/usr/bin"),
        shutil.which("mariadb-install-db"),
    )
    if server is None or install is None:
        raise MissingMariaDB(
            "MariaDB binaries missing: `make test` installs Debian's mariadb-server"
        )
    root = pathlib.Path(tempfile.mkdtemp(prefix="dp-airflow-mariadb-"))
    data, sock = root / "data", root / "mysqld.sock"
    user = ["--user=root"] if os.geteuid() == 0 else []
    subprocess.run(
        [
            install,
            "--no-defaults",
            f"--datadir={data}",
            *user,
            "--skip-test-db",
            "--auth-root-authentication-method=socket",
        ],
        check=True,
        capture_output=True,
    )
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [
            server,
            "--no-defaults",
            f"--datadir={data}",
            f"--socket={sock}",
            f"--port={port}",
            "--bind-address=127.0.0.1",
            *user,
            "--skip-log-bin",
            "--skip-name-resolve",
            "--innodb-flush-log-at-trx-commit=0",
            f"--pid-file={root / 'mysqld.pid'}",
            f"--log-error={root / 'error.log'}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _mariadb_setup(sock, process)
        yield {"host": "127.0.0.1", "port": port, "user": "dp", "password": "dp", "database": "dp"}
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        shutil.rmtree(root, ignore_errors=True)


def _mariadb_setup(sock: pathlib.Path, process: subprocess.Popen[bytes]) -> None:
    """Wait for the server, then create the test user and database over the socket."""
    import time

    import pymysql

    deadline = time.monotonic() + 60
    while True:
        try:
            admin = pymysql.connect(unix_socket=str(sock), user="root")
            break
        except pymysql.err.OperationalError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the MariaDB server did not start") from None
            time.sleep(0.3)
    with admin.cursor() as cursor:
        cursor.execute("CREATE DATABASE dp")
        cursor.execute("CREATE USER 'dp'@'%' IDENTIFIED BY 'dp'")
        cursor.execute("GRANT ALL ON *.* TO 'dp'@'%'")
    admin.commit()
    admin.close()


class MissingRedis(RuntimeError):
    """Debian's Redis server is not installed."""


@contextmanager
def redis_server() -> Iterator[str]:
    """A throwaway Redis server on a free port of 127.0.0.1, no persistence; its URL."""
    binary = shutil.which("redis-server", path="/usr/bin:/usr/sbin")
    if binary is None:
        raise MissingRedis("redis-server missing: `make test` installs Debian's redis-server")
    root = pathlib.Path(tempfile.mkdtemp(prefix="dp-airflow-redis-"))
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen(
        [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"],
        cwd=root,
        stdout=(root / "redis.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    try:
        for _ in range(100):
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            process.poll()
            if process.returncode is not None:
                raise RuntimeError(f"redis-server exited: {(root / 'redis.log').read_text()}")
            time.sleep(0.1)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(root, ignore_errors=True)

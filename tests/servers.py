"""Throwaway servers for tests and benchmarks: a PostgreSQL cluster from Debian's binaries."""

from __future__ import annotations

import glob
import os
import pathlib
import shutil
import socket
import subprocess
import tempfile
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
    try:
        yield {"host": "127.0.0.1", "port": port, "user": "postgres", "dbname": "postgres"}
    finally:
        subprocess.run([*pg_ctl, "-m", "fast", "-w", "stop"], check=False, capture_output=True)
        shutil.rmtree(root, ignore_errors=True)

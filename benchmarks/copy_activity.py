"""CopyActivity throughput and memory against the raw tools.

Run: ``AIRFLOW_HOME=$(mktemp -d) .venv/bin/python benchmarks/copy_activity.py [GiB] [rows,rows]``
(defaults: 1 GiB; 100000,1000000 rows). Starts a moto server (its own process, on 127.0.0.1)
and a throwaway PostgreSQL cluster (tests/servers.py).

1. S3 → S3 of one object of N GiB: CopyActivity (one ``dag.test()`` run; the task's own duration)
   against one boto3 ``copy_object``; the S3 requests each side sent are counted from moto's log,
   to show that no object bytes pass through the worker.
2. SQL → S3 (CSV) of a PostgreSQL table: CopyActivity against ``psql \\copy … TO STDOUT`` piped
   into ``aws s3 cp -``; wall time of the copy and peak RSS of the process doing it (each side in
   its own child process; for CopyActivity the task's duration and the whole Airflow process's
   peak, next to the same process copying 0 rows).
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def client(endpoint: str, service: str = "s3"):
    import boto3

    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
    )


# A child process runs one pipeline with dag.test() and prints the task's duration and its peak.
CHILD = r"""
import json, os, resource, sys, time
from pathlib import Path
from dp_airflow.loader import file_dags
from airflow.utils import db
db.resetdb()
from tests.conftest import sync_dag_to_db
import pendulum
(dag,) = file_dags(Path(sys.argv[1]), catchup=False)
sync_dag_to_db(dag)
run = dag.test(logical_date=pendulum.datetime(2024, 5, 6, tz="UTC"))
(ti,) = run.get_task_instances()
print(json.dumps({"state": str(ti.state), "seconds": (ti.end_date - ti.start_date).total_seconds(),
                  "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def run_pipeline(objects: list[dict], env: dict[str, str]) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.json"
        path.write_text(json.dumps({"objects": objects}))
        home = Path(tmp) / "home"
        home.mkdir()
        child_env = {
            **env,
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home}/airflow.db",
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__DP_AIRFLOW__PARSE_CACHE_DIR": "off",
            "PYTHONPATH": str(ROOT),
        }
        out = subprocess.run(
            [sys.executable, "-c", CHILD, str(path)],
            env=child_env,
            capture_output=True,
            text=True,
            check=False,
        )
        lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
        if not lines:
            raise SystemExit(out.stderr[-3000:])
        return json.loads(lines[-1])


def count_requests(log: Path, start: int) -> dict[str, int]:
    text = log.read_text(errors="replace")[start:]
    counts: dict[str, int] = {}
    for method, query in re.findall(r'"(GET|PUT|POST|HEAD) [^ ?"]*(\?[^ "]*)? HTTP', text):
        kind = method + (" " + query.split("=")[0].lstrip("?") if query else "")
        counts[kind] = counts.get(kind, 0) + 1
    return counts


def s3_to_s3(endpoint: str, moto_log: Path, env: dict[str, str], gib: float) -> None:
    s3 = client(endpoint)
    for bucket in ("bench-src", "bench-dst"):
        s3.create_bucket(Bucket=bucket)
    size = int(gib * 1024**3)
    chunk = os.urandom(1024 * 1024) * 8
    with tempfile.TemporaryFile() as blob:
        written = 0
        while written < size:
            piece = chunk[: size - written]
            blob.write(piece)
            written += len(piece)
        blob.seek(0)
        s3.upload_fileobj(blob, "bench-src", "big/data.bin")
    started = time.perf_counter()
    s3.copy_object(
        CopySource={"Bucket": "bench-src", "Key": "big/data.bin"},
        Bucket="bench-dst",
        Key="raw/data.bin",
    )
    raw = time.perf_counter() - started
    s3.put_object(Bucket="bench-src", Key="tiny/data.bin", Body=b"x")

    def objects(key: str) -> list[dict]:
        return [
            {
                "id": "Default",
                "scheduleType": "ondemand",
                "workerGroup": "w",
                "maximumRetries": "0",
            },
            {"id": "In", "type": "S3DataNode", "filePath": f"s3://bench-src/{key}"},
            {"id": "Out", "type": "S3DataNode", "directoryPath": "s3://bench-dst/ours/"},
            {
                "id": "Copy",
                "type": "CopyActivity",
                "input": {"ref": "In"},
                "output": {"ref": "Out"},
            },
        ]

    tiny = run_pipeline(objects("tiny/data.bin"), env)
    mark = len(moto_log.read_text(errors="replace"))
    ours = run_pipeline(objects("big/data.bin"), env)
    requests = count_requests(moto_log, mark)
    net = ours["seconds"] - tiny["seconds"]
    print(f"| S3 → S3, 1 byte (the task's fixed cost) | {tiny['seconds']:.2f} s | | | |")
    print(
        f"| S3 → S3, {gib:g} GiB | {ours['seconds']:.2f} s (net of the 1-byte task {net:.2f} s)"
        f" | boto3 copy_object {raw:.2f} s | {ours['seconds'] / raw:.2f}× (net {net / raw:.2f}×)"
        f" | S3 requests during the task: {requests} |"
    )


def sql_to_s3(endpoint: str, pg: dict, env: dict[str, str], rows_list: list[int]) -> None:
    import psycopg2

    s3 = client(endpoint)
    s3.create_bucket(Bucket="bench-sql")
    with psycopg2.connect(**pg) as connection, connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS orders (id int, customer text, "
            "amount numeric(10,2), created timestamp)"
        )
    database = {
        "id": "Db",
        "type": "JdbcDatabase",
        "jdbcDriverClass": "org.postgresql.Driver",
        "connectionString": f"jdbc:postgresql://{pg['host']}:{pg['port']}/{pg['dbname']}",
        "username": pg["user"],
        "*password": "x",
    }

    def objects(table: str, key: str) -> list[dict]:
        return [
            {
                "id": "Default",
                "scheduleType": "ondemand",
                "workerGroup": "w",
                "maximumRetries": "0",
            },
            database,
            {"id": "Src", "type": "SqlDataNode", "database": {"ref": "Db"}, "table": table},
            {"id": "Out", "type": "S3DataNode", "filePath": f"s3://bench-sql/{key}"},
            {
                "id": "Copy",
                "type": "CopyActivity",
                "input": {"ref": "Src"},
                "output": {"ref": "Out"},
            },
        ]

    with psycopg2.connect(**pg) as connection, connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS empty (LIKE orders)")
    baseline = run_pipeline(objects("empty", "empty.csv"), env)
    print(
        f"| SQL → S3, 0 rows (the Airflow process's own peak) | {baseline['seconds']:.2f} s, "
        f"peak {baseline['peak_mib']:.0f} MiB | | | |"
    )
    for rows in rows_list:
        table = f"orders_{rows}"
        with psycopg2.connect(**pg) as connection, connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {table}")
            cursor.execute(
                f"CREATE TABLE {table} AS SELECT g AS id, 'customer-' || (g % 9973) AS customer,"
                f" (g % 100000) / 100.0 AS amount, timestamp '2024-01-01' + g * interval '1 s'"
                f" AS created FROM generate_series(1, {rows}) g"
            )
        ours = run_pipeline(objects(table, f"ours-{rows}.csv"), env)
        net = ours["seconds"] - baseline["seconds"]
        query = f"\\copy (SELECT * FROM {table}) TO STDOUT WITH CSV"
        timer = "/usr/bin/time -f peak_kib=%M"
        pipeline = (
            f"{timer} psql -h {pg['host']} -p {pg['port']} -U {pg['user']} -d {pg['dbname']} "
            f'-c "{query}" | {timer} {BIN / "aws"} --endpoint-url {endpoint} s3 cp - '
            f"s3://bench-sql/raw-{rows}.csv"
        )
        started = time.perf_counter()
        timed = subprocess.run(
            ["bash", "-c", f"set -o pipefail; {pipeline}"],
            check=True,
            env=env,
            capture_output=True,
            text=True,
        )
        raw = time.perf_counter() - started
        peak = max(int(k) for k in re.findall(r"peak_kib=(\d+)", timed.stderr))
        size = s3.head_object(Bucket="bench-sql", Key=f"ours-{rows}.csv")["ContentLength"]
        raw_size = s3.head_object(Bucket="bench-sql", Key=f"raw-{rows}.csv")["ContentLength"]
        print(
            f"| SQL → S3, {rows:,} rows ({size / 2**20:.0f} MiB; raw {raw_size / 2**20:.0f} MiB)"
            f" | {ours['seconds']:.2f} s; net of the 0-row task {net:.2f} s "
            f"({rows / net:,.0f} rows/s), peak "
            f"{ours['peak_mib']:.0f} MiB | psql | aws s3 cp: {raw:.2f} s "
            f"({rows / raw:,.0f} rows/s), peak of the largest process "
            f"{peak / 1024:.0f} MiB | {ours['seconds'] / raw:.2f}× (net {net / raw:.2f}×) | |"
        )


def main() -> None:
    from tests.servers import postgres_cluster

    gib = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
    rows = [int(r) for r in (sys.argv[2] if len(sys.argv) > 2 else "100000,1000000").split(",")]
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as tmp:
        moto_log = Path(tmp) / "moto.log"
        with moto_log.open("wb") as log:
            moto = subprocess.Popen(
                [str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            for _ in range(100):
                try:
                    client(endpoint).list_buckets()
                    break
                except Exception:
                    time.sleep(0.2)
            env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
            env.update(
                AIRFLOW_CONN_AWS_DEFAULT=json.dumps(
                    {
                        "conn_type": "aws",
                        "login": "bench",
                        "password": "bench",
                        "extra": {"endpoint_url": endpoint, "region_name": "us-east-1"},
                    }
                ),
                AWS_ACCESS_KEY_ID="bench",
                AWS_SECRET_ACCESS_KEY="bench",
                AWS_DEFAULT_REGION="us-east-1",
            )
            print("| what | CopyActivity | raw tool | ratio | notes |")
            print("|---|---|---|---|---|")
            s3_to_s3(endpoint, moto_log, env, gib)
            with postgres_cluster() as pg:
                sql_to_s3(endpoint, pg, env, rows)
        finally:
            moto.terminate()
            moto.wait()


if __name__ == "__main__":
    main()

"""``make run``: Airflow 3 with the example pipelines against a local AWS endpoint (moto).

Starts a moto server (127.0.0.1:5055) seeded with the buckets, objects and SNS topic the examples
use, then Airflow's api-server, scheduler, dag-processor and triggerer on 127.0.0.1:8080 with
SQLite in ``.airflow/``, triggers one run of each example, and stops everything on Ctrl-C.
Ports can be changed with DP_AIRFLOW_PORT and DP_AIRFLOW_MOTO_PORT. ``--seed-only`` only seeds
the moto server at DP_AIRFLOW_MOTO_URL (the docker-compose set-up's examples-seed service).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
HOME = ROOT / ".airflow"
DAGS = HOME / "dags"
BIN = Path(sys.executable).parent
PORT = int(os.environ.get("DP_AIRFLOW_PORT", "8080"))
MOTO_PORT = int(os.environ.get("DP_AIRFLOW_MOTO_PORT", "5055"))
API = f"http://127.0.0.1:{PORT}"
MOTO = os.environ.get("DP_AIRFLOW_MOTO_URL", f"http://127.0.0.1:{MOTO_PORT}")
LOGIN = ("admin", "admin")


def environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env.update(
        {
            "AIRFLOW_HOME": str(HOME),
            "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__CORE__PARALLELISM": "4",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{HOME}/airflow.db",
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(PORT),
            "AIRFLOW__API__BASE_URL": API,
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{API}/execution/",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{LOGIN[0]}:admin",
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "10",
            "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "10",
            "AIRFLOW_CONN_AWS_DEFAULT": json.dumps(
                {
                    "conn_type": "aws",
                    "login": "local",
                    "password": "local",
                    "extra": {"endpoint_url": MOTO, "region_name": "us-east-1"},
                }
            ),
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_DEFAULT_REGION": "us-east-1",
        }
    )
    return env


def prepare() -> None:
    DAGS.mkdir(parents=True, exist_ok=True)
    for stale in DAGS.glob("*.json"):
        stale.unlink()
    shutil.copy(ROOT / "dags" / "dp_airflow_loader.py", DAGS / "dp_airflow_loader.py")
    for example in sorted((ROOT / "examples").glob("*.json")):
        shutil.copy(example, DAGS / example.name)
    (HOME / "simple_auth_manager_passwords.json.generated").write_text(
        json.dumps({LOGIN[0]: LOGIN[1]})
    )


def seed() -> None:
    import boto3

    def client(service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=MOTO,
            region_name="us-east-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )

    s3 = client("s3")
    for bucket in ("dp-examples-logs", "dp-examples-reports", "dp-examples-landing"):
        s3.create_bucket(Bucket=bucket)
    s3.put_object(
        Bucket="dp-examples-logs",
        Key="access/2024-01-01.log",
        Body=b"GET /index.html 200\nPOST /api 201\nGET /about 200\n",
    )
    s3.put_object(
        Bucket="dp-examples-logs",
        Key="access/2024-01-02.log",
        Body=b"GET /index.html 304\nGET /missing 404\n",
    )
    s3.put_object(
        Bucket="dp-examples-logs",
        Key="app/worker.log",
        Body=b"INFO started\nWARN slow disk\nERROR lost connection\nINFO done\n",
    )
    s3.put_object(
        Bucket="dp-examples-landing", Key="orders/orders-1.csv", Body=b"id,total\n1,10.50\n2,7.25\n"
    )
    s3.put_object(Bucket="dp-examples-landing", Key="orders/_SUCCESS", Body=b"")
    sns, sqs = client("sns"), client("sqs")
    topic = sns.create_topic(Name="dp-examples-alerts")["TopicArn"]
    queue = sqs.create_queue(QueueName="dp-examples-alerts-inbox")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)


def wait_for(url: str, seconds: int = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(1)
    raise SystemExit(f"{url} did not answer within {seconds} s; see the logs in {HOME}")


def api(path: str, token: str, body: dict[str, Any] | None = None) -> Any:
    request = urllib.request.Request(
        f"{API}{path}",
        method="POST" if body is not None else "GET",
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    for attempt in range(5):
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            # SQLite allows one writer: under the four components a write can time out ("database
            # is locked", a 500); it succeeds when tried again.
            if error.code < 500 or attempt == 4:
                raise
            time.sleep(2 * (attempt + 1))
    raise AssertionError("unreachable")


def token() -> str:
    request = urllib.request.Request(
        f"{API}/auth/token",
        data=json.dumps({"username": LOGIN[0], "password": LOGIN[1]}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return str(json.loads(response.read())["access_token"])


def trigger_examples() -> None:
    expected = {p.stem for p in (ROOT / "examples").glob("*.json")}
    bearer = token()
    deadline = time.monotonic() + 180
    found: set[str] = set()
    while time.monotonic() < deadline:
        found = {d["dag_id"] for d in api("/api/v2/dags?limit=100", bearer)["dags"]}
        if expected <= found:
            break
        time.sleep(3)
    for dag_id in sorted(expected & found):
        api(f"/api/v2/dags/{dag_id}/dagRuns", bearer, {"logical_date": None})
        print(f"  triggered {dag_id}")
    for missing in sorted(expected - found):
        print(f"  {missing} did not appear; see {API}/dags and the import errors")


def main() -> None:
    if "--seed-only" in sys.argv:  # docker/docker-compose.yaml: seed a moto started elsewhere
        wait_for(f"{MOTO}/moto-api/")
        seed()
        return
    prepare()
    env = environment()
    processes: list[subprocess.Popen[bytes]] = []

    def start(name: str, *command: str) -> None:
        log = (HOME / f"{name}.log").open("wb")
        processes.append(
            subprocess.Popen(
                list(command), env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        )

    def stop(*_: object) -> None:
        print("\nstopping...")
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        raise SystemExit(0)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    start("moto", str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(MOTO_PORT))
    wait_for(f"{MOTO}/moto-api/")
    seed()
    subprocess.run(
        [str(BIN / "airflow"), "db", "migrate"], env=env, check=True, stdout=subprocess.DEVNULL
    )
    start("api-server", str(BIN / "airflow"), "api-server")
    start("scheduler", str(BIN / "airflow"), "scheduler", "--skip-serve-logs")
    start("dag-processor", str(BIN / "airflow"), "dag-processor")
    start("triggerer", str(BIN / "airflow"), "triggerer", "--skip-serve-logs")
    wait_for(f"{API}/api/v2/version")
    print(f"Airflow is up: {API}  (login {LOGIN[0]} / {LOGIN[1]})")
    print(f"Local AWS endpoint (moto): {MOTO}; logs in {HOME}")
    trigger_examples()
    print("Press Ctrl-C to stop.")
    while True:
        time.sleep(1)
        if any(p.poll() is not None for p in processes):
            print("an Airflow component stopped; see its log in", HOME)
            stop()


if __name__ == "__main__":
    main()

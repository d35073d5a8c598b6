"""Test set-up: a throwaway Airflow home, made before anything imports Airflow.

Airflow tests ask for the ``airflow_db`` fixture (a fresh SQLite metadata DB, about 2 s once per
session); everything else runs without a database.
"""

from __future__ import annotations

import os
import pathlib
import tempfile
from collections.abc import Iterator
from typing import Any

import pytest

_HOME = pathlib.Path(tempfile.mkdtemp(prefix="dp-airflow-home-"))
os.environ["AIRFLOW_HOME"] = str(_HOME)
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = os.environ.get(
    "AIRFLOW_TEST_SQL_ALCHEMY_CONN", f"sqlite:///{_HOME}/airflow.db"
)
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(_HOME / "dags")
(_HOME / "dags").mkdir(exist_ok=True)


@pytest.fixture(scope="session")
def airflow_db() -> Iterator[None]:
    from airflow.utils import db

    db.resetdb()
    yield


def sync_dag_to_db(dag: Any, bundle_name: str = "dags-folder") -> Any:
    """Write a DAG built in a test to the metadata DB, as ``dag.test()`` needs in Airflow 3."""
    from airflow.dag_processing.bundles.manager import DagBundlesManager
    from airflow.dag_processing.dagbag import DagBag, sync_bag_to_db

    DagBundlesManager().sync_bundles_to_db()
    bag = DagBag(dag_folder=os.devnull, collect_dags=False)
    bag.bag_dag(dag)
    sync_bag_to_db(bag, bundle_name, None)
    return dag


def task_states(run: Any) -> dict[str, str]:
    """Task id → final state of a DAG run."""
    return {ti.task_id: str(ti.state) for ti in run.get_task_instances()}


def sns_inbox(aws: Any, topic_name: str, queue_name: str) -> tuple[str, str]:
    """An SNS topic with an SQS queue subscribed to it: (topic ARN, queue URL)."""
    sns, sqs = aws("sns"), aws("sqs")
    topic = sns.create_topic(Name=topic_name)["TopicArn"]
    queue = sqs.create_queue(QueueName=queue_name)["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=attributes["Attributes"]["QueueArn"])
    return topic, queue


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    """A moto server on 127.0.0.1, wired in as Airflow's ``aws_default`` connection."""
    import json

    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    os.environ["AIRFLOW_CONN_AWS_DEFAULT"] = json.dumps(
        {
            "conn_type": "aws",
            "login": "testing",
            "password": "testing",
            "extra": {"endpoint_url": endpoint, "region_name": "us-east-1"},
        }
    )
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        os.environ.setdefault(key, value)
    yield endpoint
    server.stop()


@pytest.fixture
def aws(moto_server: str) -> Any:
    """A boto3 session factory against the moto server, its state reset for each test."""
    import urllib.request

    import boto3

    urllib.request.urlopen(urllib.request.Request(f"{moto_server}/moto-api/reset", method="POST"))

    def client(service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=moto_server,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    return client


@pytest.fixture(scope="session")
def postgres() -> Iterator[dict[str, Any]]:
    """A throwaway PostgreSQL cluster from Debian's binaries on 127.0.0.1 (trust auth)."""
    from tests.servers import MissingPostgres, postgres_cluster

    try:
        with postgres_cluster() as params:
            yield params
    except MissingPostgres as exc:
        pytest.fail(str(exc))


@pytest.fixture
def pg(postgres: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """A fresh database for one test: its psycopg2 connection parameters."""
    import uuid

    import psycopg2

    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = psycopg2.connect(**postgres)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE {name}")
    try:
        yield {**postgres, "dbname": name}
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f"DROP DATABASE {name} WITH (FORCE)")
        admin.close()


@pytest.fixture(scope="session")
def mariadb_server() -> Iterator[dict[str, Any]]:
    """A throwaway MariaDB server from Debian's binaries on 127.0.0.1."""
    from tests.servers import MissingMariaDB, mariadb_server

    try:
        with mariadb_server() as params:
            yield params
    except MissingMariaDB as exc:
        pytest.fail(str(exc))


@pytest.fixture
def mysql(mariadb_server: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """A fresh MySQL database for one test: its PyMySQL connection parameters."""
    import uuid

    import pymysql

    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = pymysql.connect(**mariadb_server, autocommit=True)
    with admin.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE {name}")
    try:
        yield {**mariadb_server, "database": name}
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f"DROP DATABASE {name}")
        admin.close()


@pytest.fixture
def proxy(moto_server: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A fault-injecting proxy (tests/fault_proxy.py) in front of moto, wired in as
    ``aws_default`` for this test."""
    import json

    from tests.fault_proxy import fault_proxy

    with fault_proxy(moto_server) as running:
        connection = json.loads(os.environ["AIRFLOW_CONN_AWS_DEFAULT"])
        connection["extra"]["endpoint_url"] = running.url
        monkeypatch.setenv("AIRFLOW_CONN_AWS_DEFAULT", json.dumps(connection))
        yield running

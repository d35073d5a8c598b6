"""MySQL and MariaDB: SqlActivity, CopyActivity both ways, MySqlDataNode, Exists and RdsDatabase,
against a real MariaDB server (Debian's) and the moto server."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import pendulum
import pymysql
import pytest

from tests.conftest import task_states
from tests.runtime.test_aws import _dag

AT = pendulum.datetime(2024, 5, 6, tz="UTC")


def _query(db: dict, sql: str) -> list[tuple]:
    connection = pymysql.connect(**db)
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql)
            return list(cursor.fetchall())
    finally:
        connection.close()


@pytest.mark.usefixtures("airflow_db")
def test_mysql_script_export_import_and_exists(tmp_path: Path, aws, mysql: dict) -> None:
    s3 = aws("s3")
    s3.create_bucket(Bucket="exports")
    s3.put_object(Bucket="exports", Key="incoming/rows.csv", Body=b'7,"seven, with comma"\n8,\n')
    url = f"jdbc:mysql://{mysql['host']}:{mysql['port']}/{mysql['database']}"
    objects = [
        {"id": "Default", "scheduleType": "ondemand", "workerGroup": "wg"},
        {
            "id": "Db",
            "type": "JdbcDatabase",
            "connectionString": url,
            "jdbcDriverClass": "com.mysql.jdbc.Driver",
            "username": mysql["user"],
            "*password": mysql["password"],
        },
        {"id": "Csv", "type": "CSV"},
        {
            "id": "Setup",
            "type": "SqlActivity",
            "database": {"ref": "Db"},
            "script": "CREATE TABLE orders (id int PRIMARY KEY, note varchar(50));\n"
            "INSERT INTO orders VALUES (1, ?), (2, 'two');",
            "scriptArgument": "it's #{format(@scheduledStartTime,'YYYY-MM-dd')}",
            "output": {"ref": "Orders"},  # so Orders' Exists check waits for the table
        },
        {
            # The older MySqlDataNode type: its connection is written on the node itself.
            "id": "Orders",
            "type": "MySqlDataNode",
            "connectionString": url,
            "username": mysql["user"],
            "*password": mysql["password"],
            "table": "orders",
            "selectQuery": "SELECT id, note FROM orders ORDER BY id",
            "precondition": {"ref": "TableThere"},
        },
        {"id": "TableThere", "type": "Exists"},
        {
            "id": "OrdersIn",
            "type": "MySqlDataNode",
            "connectionString": url,
            "username": mysql["user"],
            "*password": mysql["password"],
            "table": "orders",
            "insertQuery": "INSERT INTO orders (id, note) VALUES (?, ?)",
        },
        {
            "id": "Exported",
            "type": "S3DataNode",
            "directoryPath": "s3://exports/orders/",
            "dataFormat": {"ref": "Csv"},
        },
        {
            "id": "Incoming",
            "type": "S3DataNode",
            "directoryPath": "s3://exports/incoming/",
            "dataFormat": {"ref": "Csv"},
        },
        {
            "id": "Export",
            "type": "CopyActivity",
            "input": {"ref": "Orders"},
            "output": {"ref": "Exported"},
            "dependsOn": {"ref": "Setup"},
        },
        {
            "id": "Import",
            "type": "CopyActivity",
            "input": {"ref": "Incoming"},
            "output": {"ref": "OrdersIn"},
            "dependsOn": {"ref": "Export"},
        },
    ]
    dag = _dag(tmp_path, {"objects": objects})
    run = dag.test(logical_date=AT)
    assert run.state == "success", task_states(run)
    body = s3.get_object(Bucket="exports", Key="orders/part-00000.csv")["Body"].read().decode()
    assert list(csv.reader(io.StringIO(body))) == [["1", "it's 2024-05-06"], ["2", "two"]]
    assert _query(mysql, "SELECT id, note FROM orders ORDER BY id") == [
        (1, "it's 2024-05-06"),
        (2, "two"),
        (7, "seven, with comma"),
        (8, None),
    ]


@pytest.mark.usefixtures("airflow_db")
def test_a_failing_mysql_script_commits_nothing(tmp_path: Path, aws, mysql: dict) -> None:
    os.environ["AIRFLOW_CONN_PIPE__DB"] = (
        f"mysql://{mysql['user']}:{mysql['password']}@{mysql['host']}:{mysql['port']}/"
        f"{mysql['database']}"
    )
    try:
        dag = _dag(
            tmp_path,
            {
                "objects": [
                    {"id": "Default", "scheduleType": "ondemand", "workerGroup": "wg"},
                    # An RdsDatabase, reached through the Airflow connection named after it.
                    {
                        "id": "Db",
                        "type": "RdsDatabase",
                        "rdsInstanceId": "orders-db",
                        "username": "u",
                        "*password": "p",
                    },
                    {
                        "id": "Script",
                        "type": "SqlActivity",
                        "database": {"ref": "Db"},
                        "maximumRetries": "0",
                        "script": "CREATE TABLE t (id int);\nINSERT INTO t VALUES (1);\n"
                        "INSERT INTO missing VALUES (2);",
                    },
                ]
            },
        )
        run = dag.test(logical_date=AT)
    finally:
        del os.environ["AIRFLOW_CONN_PIPE__DB"]
    assert task_states(run) == {"Script": "failed"}
    # MySQL commits DDL by itself; the rows of the failed script's transaction are gone.
    assert _query(mysql, "SELECT COUNT(*) FROM t") == [(0,)]


def test_an_rds_mysql_instance_is_found_by_its_id(aws) -> None:
    from dp_airflow.sql.databases import resolve_database

    aws("rds").create_db_instance(
        DBInstanceIdentifier="orders-db",
        Engine="mysql",
        DBInstanceClass="db.t3.micro",
        MasterUsername="admin",
        MasterUserPassword="password1",
        AllocatedStorage=20,
        DBName="orders",
    )
    target = resolve_database(
        "Db",
        {"rdsInstanceId": "orders-db", "username": "u", "*password": "p"},
        "pipe",
        "RdsDatabase",
    )
    assert (target.engine, target.port, target.dbname) == ("mysql", 3306, "orders")
    assert target.host.startswith("orders-db.")


RDS_TO_S3 = (
    Path(__file__).parents[3]
    / "shared"
    / "corpus"
    / "amazon-archives__data-pipeline-samples"
    / "samples__RDStoS3__RDStoS3Pipeline.json"
)


@pytest.mark.slow
@pytest.mark.skipif(not RDS_TO_S3.is_file(), reason="../shared/corpus is not beside us")
def test_the_rds_to_s3_sample_runs_unmodified_against_mariadb(
    tmp_path: Path, aws, mysql: dict
) -> None:
    import json

    from tests.runtime.test_run_command import _run

    connection = pymysql.connect(**mysql)
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE customers (id int PRIMARY KEY, name varchar(40))")
        cursor.executemany("INSERT INTO customers VALUES (%s, %s)", [(1, "Ada"), (2, "Grace")])
    connection.commit()
    connection.close()
    aws("s3").create_bucket(Bucket="rds-export")
    # AWS's sample as published, laid out as a pipeline folder with the values of its
    # activation-time parameters beside it; the password comes from an Airflow Variable.
    folder = tmp_path / "rds-to-s3"
    folder.mkdir()
    (folder / "definition.json").write_bytes(RDS_TO_S3.read_bytes())
    values = {
        "myRDSConnectStr": f"jdbc:mysql://{mysql['host']}:{mysql['port']}/{mysql['database']}",
        "myRDSUsername": mysql["user"],
        "myRDSTableName": "customers",
        "myOutputS3Path": "s3://rds-export/customers",
        "myS3LogsPath": "s3://rds-export/logs",
    }
    (folder / "values.json").write_text(json.dumps({"values": values}))
    result = _run(
        "--format",
        "json",
        "--at",
        "2024-05-06T00:00:00",
        str(folder),
        AIRFLOW_CONN_AWS_DEFAULT=os.environ["AIRFLOW_CONN_AWS_DEFAULT"],
        AIRFLOW_VAR_MYRDSPASSWORD=mysql["password"],
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout)
    assert report["status"] == {"RDStoS3CopyActivity": "FINISHED"}
    keys = aws("s3").list_objects_v2(Bucket="rds-export")["Contents"]
    (key,) = [k["Key"] for k in keys]
    assert key.startswith("customers/") and key.endswith("/part-00000.csv")
    body = aws("s3").get_object(Bucket="rds-export", Key=key)["Body"].read().decode()
    assert body.splitlines() == ["1,Ada", "2,Grace"]

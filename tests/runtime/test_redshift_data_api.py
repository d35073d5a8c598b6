"""RedshiftCopyActivity on a RedshiftDatabase given by clusterId: the Redshift Data API path.

moto's Redshift Data API records statements but never runs them, and has no
BatchExecuteStatement. The test adds that one action to moto (recording the batch as a statement
with its sub-statements) and moves statements from STARTED to FINISHED; nothing else is stubbed.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pendulum
import pytest

from tests.conftest import task_states
from tests.runtime.test_aws import _dag


@contextmanager
def redshift_data_finishing() -> Iterator[list]:
    from moto.redshiftdata.models import redshiftdata_backends
    from moto.redshiftdata.responses import RedshiftDataAPIServiceResponse

    def batch_execute_statement(self):  # the action moto lacks
        sqls = self._get_param("Sqls")
        statement = self.redshiftdata_backend.execute_statement(
            cluster_identifier=self._get_param("ClusterIdentifier"),
            database=self._get_param("Database"),
            db_user=self._get_param("DbUser"),
            parameters=None,
            secret_arn=None,
            sql=";\n".join(sqls),
        )
        statement.sub_statements = [
            {"Id": f"{statement.id}:{n}", "QueryString": sql, "Status": "FINISHED"}
            for n, sql in enumerate(sqls, start=1)
        ]
        return 200, {}, json.dumps({"Id": statement.id, "Database": statement.database})

    RedshiftDataAPIServiceResponse.batch_execute_statement = batch_execute_statement
    stop, seen = threading.Event(), []

    def run() -> None:
        while not stop.wait(0.2):
            for backend in redshiftdata_backends["123456789012"].values():
                for statement in backend.statements.values():
                    if statement.status == "STARTED":
                        statement.status = "FINISHED"
                        seen.append(statement)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield seen
    finally:
        stop.set()
        thread.join()
        del RedshiftDataAPIServiceResponse.batch_execute_statement


@pytest.mark.usefixtures("airflow_db")
def test_data_api_batch_loads_and_merges_in_one_transaction(
    tmp_path: Path, aws, capsys: pytest.CaptureFixture[str]
) -> None:
    aws("s3").create_bucket(Bucket="landing")
    objects = [
        {"id": "Default", "scheduleType": "ondemand", "workerGroup": "wg", "maximumRetries": "0"},
        {
            "id": "Warehouse",
            "type": "RedshiftDatabase",
            "clusterId": "analytics",
            "databaseName": "dw",
            "username": "loader",
            "*password": "unused-by-the-data-api",
        },
        {
            "id": "Updates",
            "type": "S3DataNode",
            "directoryPath": "s3://landing/#{format(@scheduledStartTime,'YYYY-MM-dd')}/",
        },
        {
            "id": "Orders",
            "type": "RedshiftDataNode",
            "database": {"ref": "Warehouse"},
            "tableName": "orders",
            "schemaName": "sales",
            "primaryKeys": "id",
            "createTableSql": "CREATE TABLE sales.orders (id int, note varchar(20))",
        },
        {
            "id": "Load",
            "type": "RedshiftCopyActivity",
            "input": {"ref": "Updates"},
            "output": {"ref": "Orders"},
            "insertMode": "KEEP_EXISTING",
            "commandOptions": ["CSV", "GZIP"],
        },
    ]
    dag = _dag(tmp_path, {"objects": objects})
    with redshift_data_finishing() as seen:
        run = dag.test(logical_date=pendulum.datetime(2024, 5, 6, tz="UTC"))
    assert task_states(run) == {"Load": "success"}
    (statement,) = seen
    assert (statement.cluster_identifier, statement.database, statement.db_user) == (
        "analytics",
        "dw",
        "loader",
    )
    create, stage, copy, merge = [s["QueryString"] for s in statement.sub_statements]
    assert create == "CREATE TABLE IF NOT EXISTS sales.orders (id int, note varchar(20))"
    assert stage == 'CREATE TEMP TABLE staging (LIKE "sales"."orders")'
    assert copy.startswith("COPY staging FROM 's3://landing/2024-05-06/' ")
    assert copy.endswith(" CSV GZIP")
    assert merge == (
        'INSERT INTO "sales"."orders" SELECT s.* FROM staging s WHERE NOT EXISTS '
        '(SELECT 1 FROM "sales"."orders" WHERE "sales"."orders"."id" = s."id")'
    )
    assert "aws_secret_access_key=testing" in copy  # moto's credentials, sent to Redshift…
    assert "aws_secret_access_key=testing" not in capsys.readouterr().out  # …never logged


@pytest.mark.usefixtures("airflow_db")
def test_a_copy_from_redshift_to_s3_is_an_unload(
    tmp_path: Path, aws, capsys: pytest.CaptureFixture[str]
) -> None:
    aws("s3").create_bucket(Bucket="exports")
    objects = [
        {"id": "Default", "scheduleType": "ondemand", "workerGroup": "wg", "maximumRetries": "0"},
        {
            "id": "Warehouse",
            "type": "RedshiftDatabase",
            "clusterId": "analytics",
            "databaseName": "dw",
            "username": "exporter",
            "*password": "unused-by-the-data-api",
        },
        {
            "id": "Orders",
            "type": "RedshiftDataNode",
            "database": {"ref": "Warehouse"},
            "tableName": "orders",
            "schemaName": "sales",
            "selectQuery": "select * from sales.orders "
            "where day = '#{format(@scheduledStartTime,'YYYY-MM-dd')}'",
        },
        {"id": "Tsv", "type": "TSV"},
        {
            "id": "Exported",
            "type": "S3DataNode",
            "directoryPath": "s3://exports/orders/#{format(@scheduledStartTime,'YYYY-MM-dd')}/",
            "dataFormat": {"ref": "Tsv"},
            "compression": "gzip",
        },
        {
            "id": "Unload",
            "type": "CopyActivity",
            "input": {"ref": "Orders"},
            "output": {"ref": "Exported"},
        },
    ]
    dag = _dag(tmp_path, {"objects": objects})
    with redshift_data_finishing() as seen:
        run = dag.test(logical_date=pendulum.datetime(2024, 5, 6, tz="UTC"))
    assert task_states(run) == {"Unload": "success"}
    (statement,) = seen
    assert (statement.cluster_identifier, statement.database, statement.db_user) == (
        "analytics",
        "dw",
        "exporter",
    )
    (sql,) = [s["QueryString"] for s in statement.sub_statements]
    assert sql.startswith(
        "UNLOAD ('select * from sales.orders where day = \\'2024-05-06\\'') "
        "TO 's3://exports/orders/2024-05-06/part-' "
    )
    assert sql.endswith(" DELIMITER AS '\\t' ESCAPE GZIP ALLOWOVERWRITE PARALLEL OFF")
    assert "aws_secret_access_key=testing" in sql
    assert "aws_secret_access_key=testing" not in capsys.readouterr().out

"""SqlActivity, CopyActivity and RedshiftCopyActivity against a real PostgreSQL and moto server."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pendulum
import psycopg2
import pytest

from tests.conftest import task_states
from tests.runtime.test_aws import _dag

AT = pendulum.datetime(2024, 5, 6, tz="UTC")


def _database(pg: dict) -> dict:
    return {
        "id": "Db",
        "type": "JdbcDatabase",
        "connectionString": f"jdbc:postgresql://{pg['host']}:{pg['port']}/{pg['dbname']}",
        "jdbcDriverClass": "org.postgresql.Driver",
        "username": pg["user"],
        "*password": "unused-with-trust-auth",
    }


def _query(pg: dict, sql: str) -> list[tuple]:
    with psycopg2.connect(**pg) as connection, connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall() if cursor.description else []


SETUP = """
CREATE TABLE orders (id int PRIMARY KEY, total numeric(8,2), note text);
INSERT INTO orders VALUES (1, ?, 'first, with comma'), (2, 7.25, NULL);
INSERT INTO orders VALUES (3, 1.00, ?);
"""


@pytest.mark.usefixtures("airflow_db")
def test_sql_export_server_side_copy_and_reload(tmp_path: Path, aws, pg: dict) -> None:
    s3 = aws("s3")
    for bucket in ("exports", "archive"):
        s3.create_bucket(Bucket=bucket)
    objects = [
        {"id": "Default", "scheduleType": "ondemand", "workerGroup": "wg"},
        _database(pg),
        {"id": "Csv", "type": "CSV"},
        {
            "id": "Setup",
            "type": "SqlActivity",
            "database": {"ref": "Db"},
            "script": SETUP,
            "scriptArgument": ["10.50", "it's #{format(@scheduledStartTime,'YYYY-MM-dd')}"],
        },
        {
            "id": "Orders",
            "type": "SqlDataNode",
            "database": {"ref": "Db"},
            "table": "orders",
            "selectQuery": "SELECT id, total, note FROM orders ORDER BY id",
        },
        {
            "id": "Exported",
            "type": "S3DataNode",
            "directoryPath": "s3://exports/orders/#{format(@scheduledStartTime,'YYYY-MM-dd')}/",
            "dataFormat": {"ref": "Csv"},
        },
        {
            "id": "Archived",
            "type": "S3DataNode",
            "directoryPath": "s3://archive/orders/",
            "dataFormat": {"ref": "Csv"},
        },
        {
            "id": "OrdersCopy",
            "type": "SqlDataNode",
            "database": {"ref": "Db"},
            "table": "orders_copy",
            "insertQuery": "INSERT INTO orders_copy VALUES (?, ?, ?)",
        },
        {
            "id": "Export",
            "type": "CopyActivity",
            "input": {"ref": "Orders"},
            "output": {"ref": "Exported"},
            "dependsOn": {"ref": "Setup"},
        },
        {
            "id": "Archive",
            "type": "CopyActivity",
            "input": {"ref": "Exported"},
            "output": {"ref": "Archived"},
        },
        {
            "id": "MakeCopyTable",
            "type": "SqlActivity",
            "database": {"ref": "Db"},
            "script": "CREATE TABLE orders_copy (LIKE orders)",
            "dependsOn": {"ref": "Setup"},
        },
        {
            "id": "Reload",
            "type": "CopyActivity",
            "input": {"ref": "Archived"},
            "output": {"ref": "OrdersCopy"},
            "dependsOn": {"ref": "MakeCopyTable"},
        },
    ]
    run = _dag(tmp_path, {"objects": objects}).test(logical_date=AT)
    assert set(task_states(run).values()) == {"success"}, task_states(run)
    exported = s3.get_object(Bucket="exports", Key="orders/2024-05-06/part-00000.csv")
    text = exported["Body"].read().decode()
    assert list(csv.reader(io.StringIO(text))) == [
        ["1", "10.50", "first, with comma"],
        ["2", "7.25", ""],
        ["3", "1.00", "it's 2024-05-06"],
    ]
    archived = s3.get_object(Bucket="archive", Key="orders/part-00000.csv")
    assert archived["Body"].read().decode() == text
    assert _query(pg, "SELECT id, total, note FROM orders_copy ORDER BY id") == _query(
        pg, "SELECT id, total, note FROM orders ORDER BY id"
    )


@pytest.mark.usefixtures("airflow_db")
def test_a_failing_statement_rolls_back_the_script_and_is_named(
    tmp_path: Path, aws, pg: dict, capsys: pytest.CaptureFixture[str]
) -> None:
    script = (
        "CREATE TABLE kept (a int);\nINSERT INTO kept VALUES (1);\nINSERT INTO missing VALUES (2);"
    )
    objects = [
        {"id": "Default", "scheduleType": "ondemand", "workerGroup": "wg"},
        _database(pg),
        {
            "id": "Run",
            "type": "SqlActivity",
            "database": {"ref": "Db"},
            "script": script,
            "maximumRetries": "0",
        },
    ]
    run = _dag(tmp_path, {"objects": objects}).test(logical_date=AT)
    assert task_states(run) == {"Run": "failed"}
    assert _query(pg, "SELECT to_regclass('kept')") == [(None,)]
    log = _output(capsys)
    assert "Run: statement 3 of 3 (script line 3) failed, nothing was committed:" in log
    assert 'relation "missing" does not exist' in log


def _output(capsys: pytest.CaptureFixture[str]) -> str:
    """What the run logged (dag.test() runs tasks in-process and logs to stdout)."""
    captured = capsys.readouterr()
    return captured.out + captured.err


def _load(pg: dict, mode: str, keys: list[str] | None = None) -> list[dict]:
    node = {
        "id": "Target",
        "type": "SqlDataNode",
        "database": {"ref": "Db"},
        "table": "orders",
    }
    database = _database(pg)
    if keys:  # a RedshiftDatabase whose connectionString points at the PostgreSQL stand-in
        node.update(type="RedshiftDataNode", tableName="orders", primaryKeys=keys)
        del node["table"]
        database = {k: v for k, v in database.items() if k != "jdbcDriverClass"}
        database["type"] = "RedshiftDatabase"
    return [
        {"id": "Default", "scheduleType": "ondemand", "workerGroup": "wg"},
        database,
        {"id": "Updates", "type": "S3DataNode", "filePath": "s3://landing/updates.csv"},
        node,
        {
            "id": "Load",
            "type": "RedshiftCopyActivity",
            "input": {"ref": "Updates"},
            "output": {"ref": "Target"},
            "insertMode": mode,
            "commandOptions": ["CSV", "IGNOREHEADER 1"],
            "maximumRetries": "0",
        },
    ]


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("KEEP_EXISTING", [(1, "old-1"), (2, "old-2"), (3, "new-3")]),
        ("OVERWRITE_EXISTING", [(1, "old-1"), (2, "new-2"), (3, "new-3")]),
        ("TRUNCATE", [(2, "new-2"), (3, "new-3")]),
        ("APPEND", [(1, "old-1"), (2, "new-2"), (2, "old-2"), (3, "new-3")]),
    ],
)
@pytest.mark.usefixtures("airflow_db")
def test_redshift_copy_insert_modes(tmp_path: Path, aws, pg: dict, mode: str, expected) -> None:
    s3 = aws("s3")
    s3.create_bucket(Bucket="landing")
    s3.put_object(Bucket="landing", Key="updates.csv", Body=b"id,note\n2,new-2\n3,new-3\n")
    primary = "PRIMARY KEY" if mode != "APPEND" else ""
    _query(pg, f"CREATE TABLE orders (id int {primary}, note text)")
    _query(pg, "INSERT INTO orders VALUES (1, 'old-1'), (2, 'old-2')")
    run = _dag(tmp_path, {"objects": _load(pg, mode)}).test(logical_date=AT)
    assert task_states(run) == {"Load": "success"}
    assert sorted(_query(pg, "SELECT id, note FROM orders")) == expected


@pytest.mark.usefixtures("airflow_db")
def test_overwrite_without_keys_fails_and_changes_nothing(
    tmp_path: Path, aws, pg: dict, capsys: pytest.CaptureFixture[str]
) -> None:
    s3 = aws("s3")
    s3.create_bucket(Bucket="landing")
    s3.put_object(Bucket="landing", Key="updates.csv", Body=b"id,note\n2,new-2\n")
    _query(pg, "CREATE TABLE orders (id int, note text)")
    _query(pg, "INSERT INTO orders VALUES (1, 'old-1')")
    run = _dag(tmp_path, {"objects": _load(pg, "OVERWRITE_EXISTING")}).test(logical_date=AT)
    assert task_states(run) == {"Load": "failed"}
    assert _query(pg, "SELECT id, note FROM orders") == [(1, "old-1")]
    assert "declare a primary key on the table or set primaryKeys" in _output(capsys)


@pytest.mark.usefixtures("airflow_db")
def test_primary_keys_from_the_redshift_node(tmp_path: Path, aws, pg: dict) -> None:
    s3 = aws("s3")
    s3.create_bucket(Bucket="landing")
    s3.put_object(Bucket="landing", Key="updates.csv", Body=b"id,note\n1,new-1\n")
    _query(pg, "CREATE TABLE orders (id int, note text)")
    _query(pg, "INSERT INTO orders VALUES (1, 'old-1'), (2, 'old-2')")
    objects = _load(pg, "OVERWRITE_EXISTING", keys=["id"])
    run = _dag(tmp_path, {"objects": objects}).test(logical_date=AT)
    assert task_states(run) == {"Load": "success"}
    assert _query(pg, "SELECT id, note FROM orders ORDER BY id") == [(1, "new-1"), (2, "old-2")]


@pytest.mark.usefixtures("airflow_db")
def test_exists_on_sql_and_dynamodb_nodes(tmp_path: Path, aws, pg: dict) -> None:
    aws("dynamodb").create_table(
        TableName="events",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    _query(pg, "CREATE TABLE ready (id int)")
    out = tmp_path / "ran.txt"
    objects = [
        {"id": "Default", "scheduleType": "ondemand", "workerGroup": "wg", "maximumRetries": "0"},
        _database(pg),
        {"id": "Present", "type": "Exists"},
        {
            "id": "Table",
            "type": "SqlDataNode",
            "database": {"ref": "Db"},
            "table": "ready",
            "precondition": {"ref": "Present"},
        },
        {
            "id": "Events",
            "type": "DynamoDBDataNode",
            "tableName": "events",
            "precondition": {"ref": "Present"},
        },
        {
            "id": "Use",
            "type": "ShellCommandActivity",
            "command": f"echo ran > {out}",
            "input": [{"ref": "Table"}, {"ref": "Events"}],
        },
    ]
    run = _dag(tmp_path, {"objects": objects}).test(logical_date=AT)
    assert task_states(run) == {
        "Events__Present": "success",
        "Table__Present": "success",
        "Use": "success",
    }
    assert out.read_text() == "ran\n"


@pytest.mark.usefixtures("airflow_db")
@pytest.mark.parametrize("compression", ["none", "gzip"])
def test_csv_from_postgresql_is_the_servers_own_copy_output(
    tmp_path: Path, aws, pg: dict, compression: str
) -> None:
    """CSV from PostgreSQL streams ``COPY … TO STDOUT``: the server's text for every type,
    NULL as an empty field, an empty string as ``""``; TSV still goes row by row. Loaded back
    with ``COPY … FROM STDIN``, every row comes back as it was, NULL and empty string apart."""
    import gzip

    s3 = aws("s3")
    s3.create_bucket(Bucket="exports")
    table = f"flags_{compression}"
    _query(pg, f"CREATE TABLE {table} (id int, flag bool, note text)")
    _query(pg, f"CREATE TABLE {table}_back (LIKE {table})")
    _query(
        pg,
        f"INSERT INTO {table} VALUES (1, true, ''), (2, false, NULL), "
        "(3, NULL, E'a \"quoted\", text\\nover two lines')",
    )
    objects = [
        {"id": "Default", "scheduleType": "ondemand", "workerGroup": "wg"},
        _database(pg),
        {"id": "Csv", "type": "CSV"},
        {"id": "Tsv", "type": "TSV"},
        {
            "id": "Flags",
            "type": "SqlDataNode",
            "database": {"ref": "Db"},
            "table": table,
            "selectQuery": f"SELECT * FROM {table} ORDER BY id;",
        },
        *(
            {
                "id": f"Out{kind}",
                "type": "S3DataNode",
                "filePath": f"s3://exports/{table}.{kind.lower()}",
                "dataFormat": {"ref": kind},
                "compression": compression,
            }
            for kind in ("Csv", "Tsv")
        ),
        *(
            {
                "id": f"Export{kind}",
                "type": "CopyActivity",
                "input": {"ref": "Flags"},
                "output": {"ref": f"Out{kind}"},
                "maximumRetries": "0",
            }
            for kind in ("Csv", "Tsv")
        ),
        {"id": "Back", "type": "SqlDataNode", "database": {"ref": "Db"}, "table": f"{table}_back"},
        {
            "id": "Reload",
            "type": "CopyActivity",
            "input": {"ref": "OutCsv"},
            "output": {"ref": "Back"},
            "dependsOn": {"ref": "ExportCsv"},
            "maximumRetries": "0",
        },
    ]
    run = _dag(tmp_path, {"objects": objects}).test(logical_date=AT)
    assert set(task_states(run).values()) == {"success"}, task_states(run)

    def text(kind: str) -> str:
        body = s3.get_object(Bucket="exports", Key=f"{table}.{kind}")["Body"].read()
        return (gzip.decompress(body) if compression == "gzip" else body).decode()

    assert text("csv") == '1,t,""\n2,f,\n3,,"a ""quoted"", text\nover two lines"\n'
    assert text("tsv").splitlines()[:2] == ["1\tTrue\t", "2\tFalse\t"]
    original = _query(pg, f"SELECT * FROM {table} ORDER BY id")
    assert _query(pg, f"SELECT * FROM {table}_back ORDER BY id") == original
    assert original[0][2] == "" and original[1][2] is None

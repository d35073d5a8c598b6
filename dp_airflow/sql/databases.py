"""Database objects as connections: an Airflow connection when one is named after the object,
otherwise the object's own fields.

Lookup order for a database object ``Db`` of the pipeline (DAG) ``orders``: the Airflow connection
``orders__Db``, then ``Db``; its host, port, schema, login and password are used (types
``postgres`` and ``redshift``). Without one: ``JdbcDatabase.connectionString`` (and the same
field inline on a SqlDataNode) is parsed (PostgreSQL, MySQL, Redshift and Oracle URLs);
``RdsDatabase.rdsInstanceId`` is looked up with RDS ``DescribeDBInstances``;
``RedshiftDatabase.connectionString`` is parsed and ``RedshiftDatabase.clusterId`` goes through
the Redshift Data API. Fields are evaluated, so ``*password`` may be ``#{*myPassword}``, whose
value comes from Airflow's secrets.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from dp_airflow.errors import DpAirflowError

_JDBC = re.compile(
    r"^jdbc:(?P<engine>postgresql|mysql|redshift|mariadb)://(?P<host>[^/:?]+)(?::(?P<port>\d+))?"
    r"(?:/(?P<db>[^?;]*))?"
)
_ORACLE = re.compile(
    r"^jdbc:oracle:thin:@(?://)?(?P<host>[^/:]+)(?::(?P<port>\d+))?[:/](?P<db>[^?]+)"
)
DEFAULT_PORTS = {"postgresql": 5432, "redshift": 5439, "mysql": 3306, "oracle": 1521}
RUNNABLE_ENGINES = ("postgresql", "redshift", "mysql")
"""PostgreSQL and Redshift through psycopg2; MySQL and MariaDB through PyMySQL."""


class DatabaseError(DpAirflowError):
    """A database object cannot be connected to (with the object and field named)."""


@dataclass(frozen=True)
class DatabaseTarget:
    """Where a database object points. ``cluster_id`` set = the Redshift Data API."""

    object_id: str
    engine: str
    host: str = ""
    port: int = 0
    dbname: str = ""
    user: str = ""
    password: str = field(default="", repr=False)
    conn_id: str | None = None
    cluster_id: str | None = None
    region: str | None = None

    @property
    def uses_data_api(self) -> bool:
        return self.cluster_id is not None and not self.host


def parse_jdbc_url(url: str, object_id: str = "?") -> tuple[str, str, int, str]:
    """``jdbc:…`` → (engine, host, port, database)."""
    text = url.strip()
    if match := _JDBC.match(text):
        engine = "mysql" if match["engine"] == "mariadb" else match["engine"]
        port = int(match["port"]) if match["port"] else DEFAULT_PORTS[engine]
        return engine, match["host"], port, match["db"] or ""
    if match := _ORACLE.match(text):
        port = int(match["port"]) if match["port"] else DEFAULT_PORTS["oracle"]
        return "oracle", match["host"], port, match["db"]
    raise DatabaseError(
        f"{object_id}: connectionString {url!r} is not a PostgreSQL, MySQL, Redshift or Oracle "
        "JDBC URL"
    )


def resolve_database(
    object_id: str, fields: dict[str, str], dag_id: str, obj_type: str
) -> DatabaseTarget:
    """The target of a database object (or a SqlDataNode with inline connection fields).

    ``fields`` are the object's evaluated fields.
    """
    connection = _airflow_connection(dag_id, object_id)
    if connection is not None:
        return connection
    user, password = fields.get("username", ""), fields.get("*password", "")
    dbname = fields.get("databaseName", "")
    if fields.get("connectionString"):
        engine, host, port, db = parse_jdbc_url(fields["connectionString"], object_id)
        return DatabaseTarget(object_id, engine, host, port, dbname or db, user, password)
    if obj_type == "RdsDatabase" and fields.get("rdsInstanceId"):
        return _rds(object_id, fields, user, password)
    if obj_type == "RedshiftDatabase" and fields.get("clusterId"):
        return DatabaseTarget(
            object_id,
            "redshift",
            dbname=dbname or "dev",
            user=user,
            password=password,
            cluster_id=fields["clusterId"],
            region=fields.get("region") or None,
        )
    raise DatabaseError(
        f"{object_id}: no Airflow connection '{dag_id}__{object_id}' or '{object_id}', and no "
        "connectionString, rdsInstanceId or clusterId to connect with"
    )


def _airflow_connection(dag_id: str, object_id: str) -> DatabaseTarget | None:
    from dp_airflow.runtime.compat import AirflowNotFoundException, BaseHook

    for conn_id in (f"{dag_id}__{object_id}", object_id):
        try:
            conn = BaseHook.get_connection(conn_id)
        except AirflowNotFoundException:
            continue
        engine = {"postgres": "postgresql"}.get(conn.conn_type or "", conn.conn_type or "")
        return DatabaseTarget(
            object_id,
            engine,
            conn.host or "",
            int(conn.port or DEFAULT_PORTS.get(engine, 0)),
            conn.schema or "",
            conn.login or "",
            conn.password or "",
            conn_id=conn_id,
        )
    return None


def _rds(object_id: str, fields: dict[str, str], user: str, password: str) -> DatabaseTarget:
    from airflow.providers.amazon.aws.hooks.rds import RdsHook

    hook = RdsHook(aws_conn_id="aws_default", region_name=fields.get("region") or None)
    found = hook.conn.describe_db_instances(DBInstanceIdentifier=fields["rdsInstanceId"])
    instance = found["DBInstances"][0]
    raw_engine = str(instance.get("Engine", ""))
    engine = (
        "postgresql"
        if "postgres" in raw_engine
        else "mysql"
        if "mysql" in raw_engine or "maria" in raw_engine
        else raw_engine
    )
    endpoint = instance.get("Endpoint") or {}
    return DatabaseTarget(
        object_id,
        engine,
        str(endpoint.get("Address", "")),
        int(endpoint.get("Port") or DEFAULT_PORTS.get(engine, 0)),
        fields.get("databaseName") or str(instance.get("DBName") or ""),
        user,
        password,
    )


def connect(target: DatabaseTarget) -> Any:
    """A DB-API connection, not autocommitting: psycopg2 for PostgreSQL and Redshift, PyMySQL
    for MySQL and MariaDB."""
    if target.engine not in RUNNABLE_ENGINES:
        raise DatabaseError(
            f"{target.object_id}: {target.engine} databases are not run by dp-airflow yet "
            "(PostgreSQL, Redshift and MySQL/MariaDB are)"
        )
    if target.engine == "mysql":
        return _connect_mysql(target)
    import psycopg2

    try:
        return psycopg2.connect(
            host=target.host,
            port=target.port,
            dbname=target.dbname,
            user=target.user,
            password=target.password,
            connect_timeout=15,
            application_name="dp-airflow",
        )
    except psycopg2.OperationalError as exc:
        raise DatabaseError(
            f"{target.object_id}: cannot connect to {target.engine} at "
            f"{target.host}:{target.port}/{target.dbname} as {target.user!r}: {exc}".strip()
        ) from None


def _connect_mysql(target: DatabaseTarget) -> Any:
    import pymysql

    try:
        return pymysql.connect(
            host=target.host,
            port=target.port,
            database=target.dbname or None,
            user=target.user,
            password=target.password,
            connect_timeout=15,
            autocommit=False,
            charset="utf8mb4",
            program_name="dp-airflow",
        )
    except pymysql.err.MySQLError as exc:
        raise DatabaseError(
            f"{target.object_id}: cannot connect to mysql at "
            f"{target.host}:{target.port}/{target.dbname} as {target.user!r}: {exc}".strip()
        ) from None


def is_mysql(connection: Any) -> bool:
    """Whether a DB-API connection is PyMySQL's."""
    return type(connection).__module__.startswith("pymysql")


def driver_errors() -> tuple[type[BaseException], ...]:
    """The DB-API error classes of both drivers (what a failed statement raises)."""
    import psycopg2
    import pymysql

    return (psycopg2.Error, pymysql.err.MySQLError)


@contextmanager
def transaction(connection: Any) -> Iterator[Any]:
    """A cursor whose statements commit together when the block ends, or not at all.

    (psycopg2's ``with connection`` means a transaction, PyMySQL's closes the connection.)"""
    cursor = connection.cursor()
    try:
        yield cursor
        connection.commit()
    except BaseException:
        connection.rollback()
        raise
    finally:
        cursor.close()


@contextmanager
def streaming_cursor(connection: Any, rows: int) -> Iterator[Any]:
    """A server-side cursor fetching ``rows`` at a time: memory stays bounded at any size."""
    if is_mysql(connection):
        import pymysql.cursors

        cursor = connection.cursor(pymysql.cursors.SSCursor)
    else:
        cursor = connection.cursor(name="dp_airflow_copy")
        cursor.itersize = rows
    try:
        yield cursor
    finally:
        cursor.close()


def copy_csv_out(connection: Any, query: str, out: Any) -> int:
    """PostgreSQL's own ``COPY (query) TO STDOUT`` in CSV into the binary stream ``out``: the
    server writes the text (NULL as an empty field, an empty string as ``""``). The rows
    copied, or -1 when the driver does not say."""
    statement = query.strip().rstrip(";").strip()
    connection.set_client_encoding("UTF8")
    with connection.cursor() as cursor:
        cursor.copy_expert(f"COPY ({statement}) TO STDOUT WITH (FORMAT csv)", out)
        return int(cursor.rowcount)


def copy_csv_in(cursor: Any, table: str, stream: Any) -> int:
    """PostgreSQL's own ``COPY table FROM STDIN`` in CSV from the binary ``stream``, inside the
    cursor's transaction: an unquoted empty field is NULL, ``""`` an empty string."""
    cursor.connection.set_client_encoding("UTF8")
    cursor.copy_expert(f"COPY {table} FROM STDIN WITH (FORMAT csv)", stream)
    return int(cursor.rowcount)


def execute_many(cursor: Any, statement: str, rows: list[Any], page: int) -> None:
    """Insert ``rows`` with few round trips (psycopg2's ``execute_batch``; PyMySQL batches
    ``INSERT … VALUES`` in ``executemany`` itself)."""
    if is_mysql(cursor.connection):
        cursor.executemany(statement, rows)
        return
    from psycopg2.extras import execute_batch

    execute_batch(cursor, statement, rows, page_size=page)


def table_exists(cursor: Any, table: str, schema: str | None) -> bool:
    """Whether ``[schema.]table`` exists (``information_schema``: PostgreSQL, Redshift, MySQL;
    a MySQL schema is a database)."""
    cursor.execute(
        "SELECT 1 FROM information_schema.tables WHERE table_name = %s "
        "AND (%s IS NULL OR table_schema = %s)",
        (table, schema, schema),
    )
    return cursor.fetchone() is not None

"""RedshiftCopyActivity: load S3 or DynamoDB data into a Redshift (or PostgreSQL) table.

One transaction: create the table from ``createTableSql`` when it does not exist, load a temporary
``staging`` table like the target, apply ``transformSql``, then the insert mode's SQL
(``dp_airflow.sql.merge``). How ``staging`` is loaded depends on the database:

- Redshift over a connection (``jdbc:redshift:`` or an Airflow connection of type redshift):
  ``COPY staging FROM 's3://…'`` (or ``'dynamodb://table' READRATIO n``) with the AWS
  connection's credentials and ``commandOptions``;
- Redshift by ``clusterId`` without a connection: the same statements as one Redshift Data API
  batch (a single transaction), through the provider's RedshiftDataHook;
- PostgreSQL (a stand-in, and what the tests use): the S3 objects are streamed into
  ``COPY staging FROM STDIN`` with the options PostgreSQL shares with Redshift; DynamoDB items are
  scanned and matched to the table's columns by name.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from dp_airflow.operators.base import list_argument, text_argument
from dp_airflow.operators.copy_activity import CopyActivityOperator
from dp_airflow.operators.s3_streams import list_objects, read_text
from dp_airflow.runtime.compat import AirflowException, AirflowFailException
from dp_airflow.schedule.model import Instance
from dp_airflow.sql.databases import DatabaseError, DatabaseTarget, connect, table_exists
from dp_airflow.sql.merge import MergeError, copy_options, merge_statements, quote_table

PRIMARY_KEY_QUERY = """
SELECT kcu.column_name
FROM information_schema.table_constraints tc
JOIN information_schema.key_column_usage kcu
  ON tc.constraint_name = kcu.constraint_name AND tc.table_schema = kcu.table_schema
WHERE tc.constraint_type = 'PRIMARY KEY' AND tc.table_name = %s
  AND (%s IS NULL OR tc.table_schema = %s)
ORDER BY kcu.ordinal_position
"""


class RedshiftCopyActivityOperator(CopyActivityOperator):
    """Loads ``input`` (S3DataNode or DynamoDBDataNode) into ``output`` (RedshiftDataNode or
    SqlDataNode) with ``insertMode``."""

    @classmethod
    def plan_arguments(cls, arguments: Mapping[str, object]) -> dict[str, Any]:
        return {
            **super().plan_arguments(arguments),
            "insert_mode": str(arguments.get("insertMode", "")),
            "command_options": list_argument(arguments.get("commandOptions")),
            "transform_sql": text_argument(arguments.get("transformSql")),
        }

    def __init__(
        self,
        *,
        insert_mode: str,
        command_options: Sequence[str] = (),
        transform_sql: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.insert_mode = insert_mode
        self.command_options = list(command_options)
        self.transform_sql = transform_sql

    def run_instance(self, context: Any, instance: Instance) -> None:
        output = self.pipeline.objects[self.output_node]
        if output.type == "S3DataNode":
            raise AirflowFailException(
                f"{self.object_id}: unloading Redshift to S3 (an S3DataNode output) is not "
                "translated by dp-airflow yet; loads into Redshift are"
            )
        target = self.node_database_target(output.id, instance)
        table, schema = self.node_table(output.id, instance)
        qualified = f"{schema}.{table}" if schema else table
        keys = [
            k.strip() for k in self.field_values(output.id, "primaryKeys", instance) if k.strip()
        ]
        create = self.field_value(output.id, "createTableSql", instance)
        if target.uses_data_api:
            self._through_data_api(target, instance, qualified, keys, create)
            return
        try:
            connection = connect(target)
        except DatabaseError as exc:
            raise AirflowException(str(exc)) from None
        try:
            with connection, connection.cursor() as cursor:
                if create and not table_exists(cursor, table, schema):
                    cursor.execute(create)
                keys = keys or self._declared_keys(cursor, table, schema)
                statements = self._merge(qualified, keys)
                cursor.execute(f"CREATE TEMP TABLE staging (LIKE {quote_table(qualified)})")
                if target.engine == "redshift":
                    cursor.execute(self._redshift_copy(instance))
                else:
                    self._copy_into_postgres(cursor, instance, table, schema)
                for statement in statements:
                    cursor.execute(statement)
                cursor.execute("SELECT count(*) FROM staging")
                (loaded,) = cursor.fetchone()
        finally:
            connection.close()
        self.log.info(
            "%s: %s of %d staged row(s) into %s",
            self.object_id,
            self.insert_mode,
            loaded,
            qualified,
        )

    # --- pieces ------------------------------------------------------------------------------

    def _merge(self, table: str, keys: list[str]) -> list[str]:
        try:
            return merge_statements(
                table, self.insert_mode, keys, self.transform_sql, object_id=self.object_id
            )
        except MergeError as exc:
            raise AirflowFailException(str(exc)) from None

    @staticmethod
    def _declared_keys(cursor: Any, table: str, schema: str | None) -> list[str]:
        cursor.execute(PRIMARY_KEY_QUERY, (table, schema, schema))
        return [row[0] for row in cursor.fetchall()]

    def _source_url(self, instance: Instance) -> str:
        node = self.pipeline.objects[self.input_node]
        if node.type == "DynamoDBDataNode":
            table = self.field_value(node.id, "tableName", instance)
            percent = self.field_value(node.id, "readThroughputPercent", instance) or "0.25"
            ratio = max(1, min(200, round(float(percent) * 100)))
            return f"'dynamodb://{table}' READRATIO {ratio}"
        manifest = self.field_value(node.id, "manifestFilePath", instance)
        if manifest:
            return f"'{manifest}' MANIFEST"
        bucket, key, _ = self._s3_location(node.id, instance)
        return f"'s3://{bucket}/{key}'"

    def _redshift_copy(self, instance: Instance) -> str:
        options = " ".join(self.command_options)
        return (
            f"COPY staging FROM {self._source_url(instance)} "
            f"{self.redshift_credentials()} {options}".strip()
        )

    def _copy_into_postgres(
        self, cursor: Any, instance: Instance, table: str, schema: str | None
    ) -> None:
        node = self.pipeline.objects[self.input_node]
        if node.type == "DynamoDBDataNode":
            self._dynamodb_into_staging(cursor, instance, table, schema)
            return
        options = copy_options(self.command_options)
        clause = ", ".join(
            f"{k} {_literal(v)}" if k != "FORMAT" else f"FORMAT {v}" for k, v in options.items()
        )
        client = self._client()
        bucket, key, is_dir = self._s3_location(node.id, instance)
        zipped = self.field_value(node.id, "compression", instance)
        if zipped is None and any(o.strip().upper() == "GZIP" for o in self.command_options):
            zipped = "gzip"
        for each in list_objects(client, bucket, key) if is_dir else [key]:
            cursor.copy_expert(
                f"COPY staging FROM STDIN WITH ({clause})",
                _LineStream(read_text(client, bucket, each, zipped)),
            )

    def _dynamodb_into_staging(
        self, cursor: Any, instance: Instance, table: str, schema: str | None
    ) -> None:
        from airflow.providers.amazon.aws.hooks.dynamodb import DynamoDBHook
        from psycopg2.extras import execute_batch

        cursor.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = %s "
            "AND (%s IS NULL OR table_schema = %s) ORDER BY ordinal_position",
            (table, schema, schema),
        )
        columns = [row[0] for row in cursor.fetchall()]
        source = self.field_value(self.input_node, "tableName", instance) or ""
        dynamodb = DynamoDBHook(aws_conn_id=self.aws_conn_id).conn.Table(source)
        rows: list[list[Any]] = []
        scan: dict[str, Any] = {}
        while True:
            page = dynamodb.scan(**scan)
            for item in page.get("Items", []):
                lowered = {k.lower(): v for k, v in item.items()}  # Redshift matches names so
                rows.append([_plain(lowered.get(c.lower())) for c in columns])
            if "LastEvaluatedKey" not in page:
                break
            scan["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        placeholders = ", ".join(["%s"] * len(columns))
        execute_batch(cursor, f"INSERT INTO staging VALUES ({placeholders})", rows, page_size=1000)

    def _through_data_api(
        self,
        target: DatabaseTarget,
        instance: Instance,
        table: str,
        keys: list[str],
        create: str | None,
    ) -> None:
        statements: list[str] = []
        if create:
            statements.append(_create_if_missing(create))
        statements.append(f"CREATE TEMP TABLE staging (LIKE {quote_table(table)})")
        statements.append(self._redshift_copy(instance))
        statements += self._merge(table, keys)
        self.log.info(
            "%s: %d statement(s) as one Redshift Data API batch on cluster %s",
            self.object_id,
            len(statements),
            target.cluster_id,
        )
        self.run_on_data_api(target, statements)


def _create_if_missing(create: str) -> str:
    """``CREATE TABLE x`` as ``CREATE TABLE IF NOT EXISTS x`` (Redshift supports it)."""
    text = create.strip()
    head = text[: len("CREATE TABLE")].upper()
    if head == "CREATE TABLE" and "IF NOT EXISTS" not in text[:40].upper():
        return "CREATE TABLE IF NOT EXISTS" + text[len("CREATE TABLE") :]
    return text


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _plain(value: Any) -> Any:
    from decimal import Decimal

    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (set, frozenset)):
        return ",".join(sorted(str(v) for v in value))
    return value


class _LineStream(io.RawIOBase):
    """Lines of text as the file object ``copy_expert`` reads from."""

    def __init__(self, lines: Iterator[str]) -> None:
        super().__init__()
        self._lines = lines
        self._pending = b""

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self._pending) < size:
            line = next(self._lines, None)
            if line is None:
                break
            self._pending += line.encode()
        if size < 0:
            size = len(self._pending)
        chunk, self._pending = self._pending[:size], self._pending[size:]
        return chunk

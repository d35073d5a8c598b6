"""CopyActivity: S3 → S3, SQL → S3 and S3 → SQL, streamed with bounded memory.

S3 → S3 with the same format and compression is a server-side copy (no bytes pass through the
worker); otherwise records are converted on the way. Every S3 output is written by multipart
upload and appears whole or not at all; when a directory copy fails part-way, the objects it
already wrote are deleted. SQL → S3 reads through a server-side cursor. S3 → SQL inserts every
record in one transaction. A rerun writes the same keys, so it gives the same result.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from dp_airflow.operators.base import DataPipelineOperator, first_argument
from dp_airflow.operators.s3_streams import (
    encryption_args,
    list_objects,
    read_binary,
    read_text,
    s3_text_output,
    whole_directory,
)
from dp_airflow.operators.sql_activity import DatabaseAccess
from dp_airflow.operators.staging import directory_prefix
from dp_airflow.runtime.compat import AirflowFailException
from dp_airflow.schedule.model import Instance
from dp_airflow.sql.databases import (
    DatabaseError,
    DatabaseTarget,
    connect,
    copy_csv_in,
    copy_csv_out,
    execute_many,
    streaming_cursor,
    transaction,
)
from dp_airflow.sql.formats import CSV, FormatError, RecordFormat, record_format
from dp_airflow.sql.script import driver_placeholders

FETCH_ROWS = 10_000
INSERT_BATCH = 1_000
S3_NODES = frozenset({"S3DataNode"})
SQL_NODES = frozenset({"SqlDataNode", "MySqlDataNode"})


SINGLE_COPY_LIMIT = 5 * 1024**3
"""S3 copies one object in one request up to 5 GiB; larger ones need a multipart copy."""


def _server_side_copy(
    client: Any, bucket: str, key: str, out_bucket: str, out_key: str, extra: dict[str, str]
) -> None:
    """Copy inside S3 (no bytes through the worker); atomic: the target appears when done."""
    source = {"Bucket": bucket, "Key": key}
    size = client.head_object(Bucket=bucket, Key=key)["ContentLength"]
    if size <= SINGLE_COPY_LIMIT:
        client.copy_object(CopySource=source, Bucket=out_bucket, Key=out_key, **extra)
        return
    from boto3.s3.transfer import TransferConfig

    parts = TransferConfig(multipart_threshold=SINGLE_COPY_LIMIT, multipart_chunksize=512 * 1024**2)
    client.copy(source, out_bucket, out_key, ExtraArgs=extra or None, Config=parts)


class CopyActivityOperator(DatabaseAccess, DataPipelineOperator):
    """Copies the ``input`` data node's records to the ``output`` data node."""

    template_fields: Sequence[str] = ()

    @classmethod
    def plan_arguments(cls, arguments: Mapping[str, object]) -> dict[str, Any]:
        return {
            "input_node": first_argument(arguments.get("inputs")),
            "output_node": first_argument(arguments.get("outputs")),
        }

    def __init__(
        self,
        *,
        input_node: str,
        output_node: str,
        aws_conn_id: str | None = "aws_default",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.input_node = input_node
        self.output_node = output_node
        self.aws_conn_id = aws_conn_id

    # --- node fields -------------------------------------------------------------------------

    def _format(self, node_id: str, instance: Instance) -> RecordFormat:
        refs = self.pipeline.objects[node_id].ref_ids("dataFormat")
        if not refs or refs[0] not in self.pipeline.objects:
            return record_format(None, None, {})
        fmt = self.pipeline.objects[refs[0]]
        names = ("columnSeparator", "recordSeparator", "escapeChar")
        fields = {n: v for n in names if (v := self.field_value(fmt.id, n, instance)) is not None}
        try:
            return record_format(fmt.id, fmt.type, fields)
        except FormatError as exc:
            raise AirflowFailException(str(exc)) from None

    def _s3_location(self, node_id: str, instance: Instance) -> tuple[str, str, bool]:
        from airflow.providers.amazon.aws.hooks.s3 import S3Hook

        directory = self.field_value(node_id, "directoryPath", instance)
        url = (
            directory if directory is not None else self.field_value(node_id, "filePath", instance)
        )
        if not url:
            raise AirflowFailException(f"{node_id}: neither directoryPath nor filePath is set")
        bucket, key = S3Hook.parse_s3_url(url)
        return (
            bucket,
            (directory_prefix(key) if directory is not None else key),
            directory is not None,
        )

    # --- run ---------------------------------------------------------------------------------

    def run_instance(self, context: Any, instance: Instance) -> None:
        source = self.pipeline.objects[self.input_node].type or ""
        target = self.pipeline.objects[self.output_node].type or ""
        if source in S3_NODES and target in S3_NODES:
            self._s3_to_s3(instance)
        elif source in SQL_NODES and target in S3_NODES:
            self._sql_to_s3(instance)
        elif source == "RedshiftDataNode" and target in S3_NODES:
            self._redshift_to_s3(instance)
        elif source in S3_NODES and target in SQL_NODES:
            self._s3_to_sql(instance)
        else:
            raise AirflowFailException(
                f"{self.object_id}: CopyActivity from {source} to {target} is not supported "
                "(S3DataNode, SqlDataNode and MySqlDataNode in S3→S3, SQL→S3 and S3→SQL are, "
                "and RedshiftDataNode→S3 as an UNLOAD)"
            )

    def _client(self) -> Any:
        from airflow.providers.amazon.aws.hooks.s3 import S3Hook

        return S3Hook(aws_conn_id=self.aws_conn_id).get_conn()

    def _s3_to_s3(self, instance: Instance) -> None:
        client = self._client()
        in_bucket, in_key, in_dir = self._s3_location(self.input_node, instance)
        out_bucket, out_key, out_dir = self._s3_location(self.output_node, instance)
        keys = list_objects(client, in_bucket, in_key) if in_dir else [in_key]
        if not out_dir and len(keys) != 1:
            raise AirflowFailException(
                f"{self.object_id}: {len(keys)} input files cannot be copied to the single "
                f"filePath of {self.output_node}"
            )
        in_fmt, out_fmt = (
            self._format(self.input_node, instance),
            self._format(self.output_node, instance),
        )
        in_zip = self.field_value(self.input_node, "compression", instance)
        out_zip = self.field_value(self.output_node, "compression", instance)
        same = in_fmt == out_fmt and (in_zip or "none").lower() == (out_zip or "none").lower()
        with whole_directory(client, out_bucket) as written:
            for key in keys:
                name = key[len(in_key) :] if in_dir else key.rsplit("/", 1)[-1]
                destination = out_key + name if out_dir else out_key
                if same:
                    _server_side_copy(
                        client, in_bucket, key, out_bucket, destination, encryption_args(self)
                    )
                else:
                    with s3_text_output(
                        client, out_bucket, destination, out_zip, encryption_args(self)
                    ) as out:
                        out_fmt.write_rows(
                            in_fmt.read_rows(read_text(client, in_bucket, key, in_zip)), out
                        )
                written.append(destination)
        self.log.info(
            "%s: copied %d object(s) %s to s3://%s/%s",
            self.object_id,
            len(written),
            "server-side" if same else "converting records",
            out_bucket,
            out_key,
        )

    def _connect(self, target: DatabaseTarget) -> Any:
        try:
            return connect(target)
        except DatabaseError as exc:
            raise AirflowFailException(str(exc)) from None

    def _table(self, node_id: str, instance: Instance) -> str:
        table, schema = self.node_table(node_id, instance)
        return f"{schema}.{table}" if schema else table

    def _sql_to_s3(self, instance: Instance) -> None:
        query = self.field_value(self.input_node, "selectQuery", instance) or (
            f"SELECT * FROM {self._table(self.input_node, instance)}"
        )
        out_bucket, out_key, out_dir = self._s3_location(self.output_node, instance)
        out_fmt = self._format(self.output_node, instance)
        if out_dir:
            out_key += f"part-00000.{out_fmt.extension}"
        target = self.node_database_target(self.input_node, instance)
        connection = self._connect(target)
        client = self._client()
        zipped = self.field_value(self.output_node, "compression", instance)
        try:
            with s3_text_output(client, out_bucket, out_key, zipped, encryption_args(self)) as out:
                if target.engine == "postgresql" and out_fmt == CSV:
                    # The server's own CSV, streamed: no row passes through Python.
                    count = copy_csv_out(connection, query, out.buffer)
                else:
                    with streaming_cursor(connection, FETCH_ROWS) as cursor:
                        cursor.execute(query)
                        count = out_fmt.write_rows(cursor, out)
            connection.rollback()
        finally:
            connection.close()
        self.log.info(
            "%s: wrote %d row(s) to s3://%s/%s", self.object_id, count, out_bucket, out_key
        )

    def _redshift_to_s3(self, instance: Instance) -> None:
        """Redshift → S3 as Redshift's own ``UNLOAD`` (the cluster writes S3 directly): through
        the Redshift Data API for a ``clusterId``, else over the connection. A PostgreSQL
        database standing in for Redshift (tests, local runs) is read like any SQL node."""
        target = self.node_database_target(self.input_node, instance)
        if target.engine == "postgresql":
            self._sql_to_s3(instance)
            return
        statement = self.unload_statement(instance)
        if target.uses_data_api:
            self.run_on_data_api(target, [statement])
        else:
            connection = self._connect(target)
            try:
                with transaction(connection) as cursor:
                    cursor.execute(statement)
            finally:
                connection.close()
        self.log.info("%s: unloaded %s to S3", self.object_id, self.input_node)

    def run_on_data_api(self, target: DatabaseTarget, statements: list[str]) -> None:
        """Run ``statements`` as one Redshift Data API batch (one transaction) and wait."""
        from airflow.providers.amazon.aws.hooks.redshift_data import RedshiftDataHook

        RedshiftDataHook(aws_conn_id=self.aws_conn_id, region_name=target.region).execute_query(
            sql=statements,
            database=target.dbname,
            cluster_identifier=target.cluster_id,
            db_user=target.user or None,
            wait_for_completion=True,
            poll_interval=5,
        )

    def redshift_credentials(self) -> str:
        """The AWS connection's credentials as Redshift's ``CREDENTIALS`` clause, its secrets
        masked: the statement carrying them must never show them in logs or XCom."""
        from airflow.providers.amazon.aws.hooks.s3 import S3Hook
        from airflow.providers.amazon.aws.utils.redshift import build_credentials_block
        from airflow.sdk.log import mask_secret

        credentials = S3Hook(aws_conn_id=self.aws_conn_id).get_credentials()
        for secret in (credentials.secret_key, credentials.token):
            if secret:
                mask_secret(secret)
        return build_credentials_block(credentials)

    def unload_statement(self, instance: Instance) -> str:
        """``UNLOAD ('query') TO 's3://…/part-' <credentials> <format>``: one file series under
        the output node's prefix (``PARALLEL OFF``), replaced on a rerun (``ALLOWOVERWRITE``)."""
        query = self.field_value(self.input_node, "selectQuery", instance) or (
            f"SELECT * FROM {self._table(self.input_node, instance)}"
        )
        out_bucket, out_key, out_dir = self._s3_location(self.output_node, instance)
        prefix = out_key + "part-" if out_dir else out_key
        fmt = self._format(self.output_node, instance)
        options = (
            ["FORMAT AS CSV"]
            if fmt.kind == "CSV"
            else [
                f"DELIMITER AS '{fmt.delimiter.encode('unicode_escape').decode()}'",
                "ESCAPE" if fmt.escape_char else "",
            ]
        )
        if (self.field_value(self.output_node, "compression", instance) or "").lower() == "gzip":
            options.append("GZIP")
        literal = "'" + query.replace("\\", "\\\\").replace("'", "\\'") + "'"
        return " ".join(
            part
            for part in (
                f"UNLOAD ({literal}) TO 's3://{out_bucket}/{prefix}'",
                self.redshift_credentials(),
                *options,
                "ALLOWOVERWRITE PARALLEL OFF",
            )
            if part
        )

    def _s3_to_sql(self, instance: Instance) -> None:
        in_bucket, in_key, in_dir = self._s3_location(self.input_node, instance)
        in_fmt = self._format(self.input_node, instance)
        in_zip = self.field_value(self.input_node, "compression", instance)
        insert = self.field_value(self.output_node, "insertQuery", instance)
        table = self._table(self.output_node, instance)
        client = self._client()
        keys = list_objects(client, in_bucket, in_key) if in_dir else [in_key]

        def rows() -> Iterator[list[str | None]]:
            for key in keys:
                yield from in_fmt.read_rows(read_text(client, in_bucket, key, in_zip))

        target = self.node_database_target(self.output_node, instance)
        connection = self._connect(target)
        count = 0
        try:
            if target.engine == "postgresql" and not insert and in_fmt == CSV:
                # The server parses the CSV itself, streamed from S3; still all rows or none.
                with transaction(connection) as cursor:
                    for key in keys:
                        count += copy_csv_in(
                            cursor, table, read_binary(client, in_bucket, key, in_zip)
                        )
                self.log.info("%s: copied %d row(s) into %s", self.object_id, count, table)
                return
            with transaction(connection) as cursor:  # all rows or none
                batch: list[list[str | None]] = []
                statement = None
                for row in rows():
                    if statement is None:
                        statement = (
                            driver_placeholders(insert)
                            if insert
                            else f"INSERT INTO {table} VALUES ({', '.join(['%s'] * len(row))})"
                        )
                    batch.append(row)
                    if len(batch) >= INSERT_BATCH:
                        execute_many(cursor, statement, batch, INSERT_BATCH)
                        count += len(batch)
                        batch.clear()
                if batch and statement is not None:
                    execute_many(cursor, statement, batch, INSERT_BATCH)
                    count += len(batch)
        finally:
            connection.close()
        self.log.info("%s: inserted %d row(s) into %s", self.object_id, count, self.output_node)

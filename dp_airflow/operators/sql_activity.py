"""SqlActivity: run a SQL script against a database object, in one transaction."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from dp_airflow.operators.base import (
    DataPipelineOperator,
    first_argument,
    list_argument,
    text_argument,
)
from dp_airflow.runtime.compat import AirflowException, AirflowFailException
from dp_airflow.schedule.model import Instance
from dp_airflow.sql.databases import DatabaseError, DatabaseTarget, connect, resolve_database
from dp_airflow.sql.script import ScriptError, Statement, statements

DATABASE_FIELDS = (
    "connectionString",
    "username",
    "*password",
    "databaseName",
    "rdsInstanceId",
    "clusterId",
    "region",
)


class DatabaseAccess:
    """Resolving database objects (their fields evaluated for this run) for SQL operators."""

    def database_target(self, object_id: str, instance: Instance) -> DatabaseTarget:
        operator: Any = self
        obj = operator.pipeline.objects[object_id]
        fields: dict[str, str] = {}
        for name in DATABASE_FIELDS:
            value = operator.field_value(object_id, name, instance)
            if value is not None:
                fields[name] = value
        try:
            return resolve_database(object_id, fields, operator.dag_id, obj.type or "")
        except DatabaseError as exc:
            raise AirflowFailException(str(exc)) from None

    def node_database_target(self, node_id: str, instance: Instance) -> DatabaseTarget:
        """The database of a SQL or Redshift data node: its ``database``, else its own
        connection fields."""
        operator: Any = self
        refs = operator.pipeline.objects[node_id].ref_ids("database")
        return self.database_target(refs[0] if refs else node_id, instance)

    def node_table(self, node_id: str, instance: Instance) -> tuple[str, str | None]:
        """(table, schema) of a SQL or Redshift data node (``tableName`` or ``table``)."""
        operator: Any = self
        table = (
            operator.field_value(node_id, "tableName", instance)
            or operator.field_value(node_id, "table", instance)
            or ""
        )
        return table, operator.field_value(node_id, "schemaName", instance)


def run_statements(connection: Any, script: Sequence[Statement], object_id: str) -> None:
    """Every statement in one transaction; a failure rolls all back and names the statement."""
    from dp_airflow.sql.databases import driver_errors, transaction

    errors = driver_errors()
    with transaction(connection) as cursor:
        for number, statement in enumerate(script, start=1):
            try:
                if statement.parameters:
                    cursor.execute(statement.text, statement.parameters)
                else:
                    cursor.execute(statement.text)
            except errors as exc:
                shown = (
                    statement.source
                    if len(statement.source) <= 300
                    else statement.source[:300] + "…"
                )
                raise AirflowException(
                    f"{object_id}: statement {number} of {len(script)} (script line "
                    f"{statement.line}) failed, nothing was committed:\n{shown}\n"
                    f"{str(exc).strip()}"
                ) from None


class SqlActivityOperator(DatabaseAccess, DataPipelineOperator):
    """Runs ``script`` (or the file at ``scriptUri``) on ``database``; ``scriptArgument`` values
    fill its ``?`` placeholders as query parameters."""

    template_fields: Sequence[str] = ("script", "script_uri", "script_argument")
    template_fields_renderers = {"script": "sql"}  # noqa: RUF012 - Airflow's class attribute

    @classmethod
    def plan_arguments(cls, arguments: Mapping[str, object]) -> dict[str, Any]:
        return {
            "database": first_argument(arguments.get("database")),
            "script": text_argument(arguments.get("script")),
            "script_uri": text_argument(arguments.get("scriptUri")),
            "script_argument": list_argument(arguments.get("scriptArgument")),
        }

    def __init__(
        self,
        *,
        database: str,
        script: str | None = None,
        script_uri: str | None = None,
        script_argument: Sequence[str] = (),
        aws_conn_id: str | None = "aws_default",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.database = database
        self.script = script
        self.script_uri = script_uri
        self.script_argument = list(script_argument)
        self.aws_conn_id = aws_conn_id

    def run_instance(self, context: Any, instance: Instance) -> None:
        text = self.script if self.script is not None else self._fetch_script()
        try:
            script = statements(text, tuple(self.script_argument))
        except ScriptError as exc:
            raise AirflowFailException(f"{self.object_id}: {exc}") from None
        target = self.database_target(self.database, instance)
        self.log.info(
            "%s: %d statement(s) on %s (%s)",
            self.object_id,
            len(script),
            self.database,
            target.conn_id or f"{target.host}:{target.port}/{target.dbname}",
        )
        try:
            connection = connect(target)
        except DatabaseError as exc:
            raise AirflowException(str(exc)) from None
        try:
            run_statements(connection, script, self.object_id)
        finally:
            connection.close()

    def _fetch_script(self) -> str:
        """The script at ``scriptUri`` (not expression-evaluated, as on Data Pipeline)."""
        from airflow.providers.amazon.aws.hooks.s3 import S3Hook

        bucket, key = S3Hook.parse_s3_url(self.script_uri or "")
        return str(S3Hook(aws_conn_id=self.aws_conn_id).read_key(key, bucket))

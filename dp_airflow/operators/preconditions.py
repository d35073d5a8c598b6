"""Preconditions as sensors, upstream of the object that waits for them.

They reschedule between checks (no worker slot is held while waiting). The check interval is
``retryDelay``, the limit ``preconditionTimeout``; fields such as ``s3Key: #{node.filePath}``
are evaluated with ``node`` = the waiting object.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from airflow.providers.amazon.aws.hooks.s3 import S3Hook
from airflow.providers.amazon.aws.sensors.s3 import S3KeySensor
from airflow.sdk import BaseSensorOperator

from dp_airflow.operators.base import EvaluatedFields, list_argument, text_argument
from dp_airflow.operators.dynamodb_client import dynamodb_client, dynamodb_table_exists
from dp_airflow.operators.shell import ShellRunner
from dp_airflow.operators.sql_activity import DatabaseAccess
from dp_airflow.schedule.model import Instance


class S3KeyExistsSensor(EvaluatedFields, S3KeySensor):
    """``S3KeyExists``: the provider's S3KeySensor on the evaluated ``s3Key``."""

    template_fields = ("bucket_key",)

    @classmethod
    def plan_arguments(cls, arguments: Mapping[str, object]) -> dict[str, Any]:
        return {"bucket_key": str(arguments.get("s3Key", ""))}

    def __init__(self, *, bucket_key: str, **kwargs: Any) -> None:
        # Airflow's operator metaclass wraps each class's own __init__; the mixin's is not.
        super().__init__(bucket_key=bucket_key, **kwargs)

    def poke(self, context: Any) -> bool:
        self.skip_unless_scheduled()
        return bool(super().poke(context))


class S3PrefixNotEmptySensor(EvaluatedFields, BaseSensorOperator):
    """``S3PrefixNotEmpty``: at least one object under the evaluated ``s3Prefix``."""

    template_fields = ("s3_prefix",)

    @classmethod
    def plan_arguments(cls, arguments: Mapping[str, object]) -> dict[str, Any]:
        return {"s3_prefix": str(arguments.get("s3Prefix", ""))}

    def __init__(
        self, *, s3_prefix: str, aws_conn_id: str | None = "aws_default", **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.s3_prefix = s3_prefix
        self.aws_conn_id = aws_conn_id

    def poke(self, context: Any) -> bool:
        self.skip_unless_scheduled()
        bucket, prefix = S3Hook.parse_s3_url(self.s3_prefix)
        keys = S3Hook(aws_conn_id=self.aws_conn_id).list_keys(bucket, prefix=prefix, max_items=1)
        self.log.info(
            "%s: %s under %s", self.object_id, "objects" if keys else "nothing", self.s3_prefix
        )
        return bool(keys)


class ShellCommandPreconditionSensor(ShellRunner, EvaluatedFields, BaseSensorOperator):
    """``ShellCommandPrecondition``: satisfied when ``command`` (or the script at
    ``scriptUri``) exits 0; ``scriptArgument``, ``stdout`` and ``stderr`` work as on
    ShellCommandActivity."""

    template_fields = ("command", "script_uri", "script_argument", "stdout", "stderr")

    @classmethod
    def plan_arguments(cls, arguments: Mapping[str, object]) -> dict[str, Any]:
        return {
            "command": str(arguments.get("command", "")),
            "script_uri": text_argument(arguments.get("scriptUri")),
            "script_argument": list_argument(arguments.get("scriptArgument")),
            "stdout": text_argument(arguments.get("stdout")),
            "stderr": text_argument(arguments.get("stderr")),
        }

    def __init__(
        self,
        *,
        command: str = "",
        script_uri: str | None = None,
        script_argument: list[str] | None = None,
        stdout: str | None = None,
        stderr: str | None = None,
        aws_conn_id: str | None = "aws_default",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.command = command
        self.script_uri = script_uri
        self.script_argument = list(script_argument or [])
        self.stdout = stdout
        self.stderr = stderr
        self.aws_conn_id = aws_conn_id

    def poke(self, context: Any) -> bool:
        self.skip_unless_scheduled()
        with self.shell_argv() as argv:
            code = self.run_shell(argv)
        self.log.info("%s exited %s", self.object_id, code)
        return code == 0

    def on_kill(self) -> None:
        self.kill_shell()


class _DynamoDBTableSensor(EvaluatedFields, BaseSensorOperator):
    """Base of the DynamoDB preconditions: the evaluated ``tableName``, through the AWS
    connection."""

    template_fields = ("table_name",)

    @classmethod
    def plan_arguments(cls, arguments: Mapping[str, object]) -> dict[str, Any]:
        return {"table_name": str(arguments.get("tableName", ""))}

    def __init__(
        self, *, table_name: str, aws_conn_id: str | None = "aws_default", **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.table_name = table_name
        self.aws_conn_id = aws_conn_id

    def _client(self) -> Any:
        return dynamodb_client(self.aws_conn_id)

    def _exists(self, client: Any) -> bool:
        return dynamodb_table_exists(client, self.table_name)


class DynamoDBTableExistsSensor(_DynamoDBTableSensor):
    """``DynamoDBTableExists``: the table exists."""

    def __init__(self, *, table_name: str, **kwargs: Any) -> None:
        super().__init__(table_name=table_name, **kwargs)

    def poke(self, context: Any) -> bool:
        self.skip_unless_scheduled()
        return self._exists(self._client())


class DynamoDBDataExistsSensor(_DynamoDBTableSensor):
    """``DynamoDBDataExists``: the table has at least one item."""

    def __init__(self, *, table_name: str, **kwargs: Any) -> None:
        super().__init__(table_name=table_name, **kwargs)

    def poke(self, context: Any) -> bool:
        self.skip_unless_scheduled()
        client = self._client()
        if not self._exists(client):
            return False
        return bool(client.scan(TableName=self.table_name, Limit=1).get("Count", 0))


class ExistsSensor(DatabaseAccess, EvaluatedFields, BaseSensorOperator):
    """``Exists``: the data node it belongs to exists. S3: its file, or an object under its
    directory; DynamoDB: its table; SQL and Redshift nodes: their table (``information_schema``)."""

    template_fields = ()

    def __init__(self, *, aws_conn_id: str | None = "aws_default", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.aws_conn_id = aws_conn_id

    def poke(self, context: Any) -> bool:
        from dp_airflow.runtime.compat import AirflowFailException

        instance = self.skip_unless_scheduled()
        node = self.pipeline.objects.get(self.consumer or "")
        kind = node.type if node is not None else None
        if node is None or kind not in EXISTS_NODES:
            raise AirflowFailException(
                f"{self.object_id}: Exists on a {kind or 'object'} is not translated by "
                "dp-airflow yet"
            )
        if kind == "S3DataNode":
            return self._s3_exists(node.id, instance)
        if kind == "DynamoDBDataNode":
            table = self.field_value(node.id, "tableName", instance) or ""
            return dynamodb_table_exists(dynamodb_client(self.aws_conn_id), table)
        return self._sql_table_exists(node.id, instance)

    def _s3_exists(self, node_id: str, instance: Instance) -> bool:
        from dp_airflow.operators import staging

        url, is_directory = staging.node_location(self.node_scope(node_id, instance))
        hook = S3Hook(aws_conn_id=self.aws_conn_id)
        bucket, key = S3Hook.parse_s3_url(url)
        if is_directory:
            prefix = staging.directory_prefix(key)
            return bool(hook.list_keys(bucket, prefix=prefix, max_items=1))
        return bool(hook.check_for_key(key, bucket))

    def _sql_table_exists(self, node_id: str, instance: Instance) -> bool:
        from dp_airflow.sql.databases import connect, table_exists

        target = self.node_database_target(node_id, instance)
        table, schema = self.node_table(node_id, instance)
        connection = connect(target)
        try:
            with connection.cursor() as cursor:
                return table_exists(cursor, table, schema)
        finally:
            connection.close()


EXISTS_NODES = frozenset(
    {"S3DataNode", "DynamoDBDataNode", "SqlDataNode", "MySqlDataNode", "RedshiftDataNode"}
)

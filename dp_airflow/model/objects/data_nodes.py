"""Data nodes: where an activity's input comes from and its output goes."""

from __future__ import annotations

import enum
from typing import Annotated, ClassVar, Literal

from pydantic import Field

from dp_airflow.model.objects.base import (
    Category,
    Expression,
    PlacedFields,
    Ref,
    Secret,
    Text,
    TextList,
    Throughput,
    choices,
    ref,
)
from dp_airflow.model.slots import Kind, Slot


class Compression(enum.StrEnum):
    """How S3 data is compressed."""

    NONE = "none"
    GZIP = "gzip"


class S3EncryptionType(enum.StrEnum):
    """Server-side encryption of S3 objects written."""

    SERVER_SIDE_ENCRYPTION = "SERVER_SIDE_ENCRYPTION"
    NONE = "NONE"


class DataNode(PlacedFields):
    """Fields every data node has."""

    category: ClassVar[Category] = Category.DATA_NODE


DataFormatRef = Annotated[Ref | None, ref(Category.DATA_FORMAT)]


class S3DataNode(DataNode):
    """An S3 object (``filePath``) or prefix (``directoryPath``)."""

    one_of = (("filePath", "directoryPath"),)

    type: Literal["S3DataNode"] = "S3DataNode"
    file_path: Text | None = None
    directory_path: Text | None = None
    data_format: DataFormatRef = None
    compression: (
        Annotated[Compression | Expression, Slot(Kind.ENUM, choices=choices(Compression))] | None
    ) = None
    manifest_file_path: Text | None = None
    s3_encryption_type: (
        Annotated[S3EncryptionType | Expression, Slot(Kind.ENUM, choices=choices(S3EncryptionType))]
        | None
    ) = None


DatabaseRef = Annotated[Ref | None, ref(Category.DATABASE)]


class SqlDataNode(DataNode):
    """A table in a JDBC, RDS or Redshift database."""

    type: Literal["SqlDataNode"] = "SqlDataNode"
    table: Text
    database: DatabaseRef = None
    select_query: Text | None = None
    insert_query: Text | None = None
    create_table_sql: Text | None = None
    schema_name: Text | None = None
    connection_string: Text | None = None
    """Legacy inline connection, seen in many AWS examples."""
    username: Text | None = None
    password: Secret | None = Field(None, alias="*password")


class MySqlDataNode(SqlDataNode):
    """Deprecated spelling of SqlDataNode; same fields."""

    type: Literal["MySqlDataNode"] = "MySqlDataNode"  # type: ignore[assignment]


class DynamoDBDataNode(DataNode):
    """A DynamoDB table, with the share of its capacity a task may use."""

    type: Literal["DynamoDBDataNode"] = "DynamoDBDataNode"
    table_name: Text
    data_format: DataFormatRef = None
    read_throughput_percent: Throughput | None = None
    write_throughput_percent: Throughput | None = None
    region: Text | None = None


class RedshiftDataNode(DataNode):
    """A Redshift table in a RedshiftDatabase."""

    type: Literal["RedshiftDataNode"] = "RedshiftDataNode"
    database: Annotated[Ref, ref("RedshiftDatabase")]
    table_name: Text
    create_table_sql: Text | None = None
    schema_name: Text | None = None
    primary_keys: TextList = ()

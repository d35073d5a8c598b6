"""Preconditions: checks that must pass before a data node is ready or an activity runs."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from dp_airflow.model.objects.base import (
    Category,
    PeriodValue,
    Ref,
    RetryFields,
    Text,
    TextList,
    ref,
)


class Precondition(RetryFields):
    """Fields every precondition has: how long to check, and the role it checks with."""

    category: ClassVar[Category] = Category.PRECONDITION

    precondition_timeout: PeriodValue | None = None
    role: Text | None = None


class SystemPrecondition(Precondition):
    """Run by the service itself with ``role``."""

    role: Text


class DynamoDBDataExists(SystemPrecondition):
    """Holds when a DynamoDB table has items."""

    type: Literal["DynamoDBDataExists"] = "DynamoDBDataExists"
    table_name: Text


class DynamoDBTableExists(SystemPrecondition):
    """Holds when a DynamoDB table exists."""

    type: Literal["DynamoDBTableExists"] = "DynamoDBTableExists"
    table_name: Text


class S3KeyExists(SystemPrecondition):
    """Holds when an S3 object exists."""

    type: Literal["S3KeyExists"] = "S3KeyExists"
    s3_key: Text


class S3PrefixNotEmpty(SystemPrecondition):
    """Holds when an S3 prefix has objects."""

    type: Literal["S3PrefixNotEmpty"] = "S3PrefixNotEmpty"
    s3_prefix: Text


class UserPrecondition(Precondition):
    """Run by a task runner; placement comes from the consuming activity unless set here."""

    runs_on: Annotated[Ref | None, ref("Ec2Resource", "EmrCluster")] = None
    worker_group: Text | None = None


class Exists(UserPrecondition):
    """The data node exists (not supported on DynamoDBDataNode)."""

    type: Literal["Exists"] = "Exists"


class ShellCommandPrecondition(UserPrecondition):
    """Satisfied when the command exits 0."""

    one_of = (("command", "scriptUri"),)

    type: Literal["ShellCommandPrecondition"] = "ShellCommandPrecondition"
    command: Text | None = None
    script_uri: Text | None = None
    script_argument: TextList = ()
    stdout: Text | None = None
    stderr: Text | None = None

"""One entry per Data Pipeline type: everything the later stages derive from the type.

An entry holds the type's model class (validation and the typed model), its role (how the plan
turns it into tasks), the operator or sensor its task runs (by import path: this stage imports no
Airflow; render imports it), the fields that task receives, what it becomes in Airflow
(docs/mapping.md and the migration report) and its own treatment of fields over the shared table
of ``field_use``. Adding a type means writing its model and its operator and one entry here;
``tests/model/test_registry.py`` proves every type of the reference has a complete entry.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field

from dp_airflow.model.field_use import EC2, FIELD_USE
from dp_airflow.model.objects.actions import SnsAlarm, Terminate
from dp_airflow.model.objects.activities import (
    CopyActivity,
    EmrActivity,
    HadoopActivity,
    HiveActivity,
    HiveCopyActivity,
    PigActivity,
    RedshiftCopyActivity,
    ShellCommandActivity,
    SqlActivity,
)
from dp_airflow.model.objects.base import ObjectModel
from dp_airflow.model.objects.data_nodes import (
    DynamoDBDataNode,
    MySqlDataNode,
    RedshiftDataNode,
    S3DataNode,
    SqlDataNode,
)
from dp_airflow.model.objects.databases import JdbcDatabase, RdsDatabase, RedshiftDatabase
from dp_airflow.model.objects.formats import (
    CSV,
    TSV,
    Custom,
    DynamoDBDataFormat,
    DynamoDBExportDataFormat,
    RegEx,
)
from dp_airflow.model.objects.preconditions import (
    DynamoDBDataExists,
    DynamoDBTableExists,
    Exists,
    S3KeyExists,
    S3PrefixNotEmpty,
    ShellCommandPrecondition,
)
from dp_airflow.model.objects.resources import Ec2Resource, EmrCluster
from dp_airflow.model.objects.schedules import Schedule
from dp_airflow.model.objects.utilities import (
    EbsBlockDeviceConfig,
    EbsConfiguration,
    EmrConfiguration,
    HttpProxy,
    Property,
    ShellScriptConfig,
    VolumeSpecification,
)


class Role(enum.StrEnum):
    """How the plan turns objects of a type into tasks."""

    ACTIVITY = "activity"
    """A task of its own on an Airflow worker, running the type's operator."""
    EMR_STEPS = "emr-steps"
    """A task adding steps to the EmrCluster its ``runsOn`` names, and waiting for them."""
    PRECONDITION = "precondition"
    """A sensor upstream of the objects that wait for it."""
    CLUSTER = "cluster"
    """Setup and teardown tasks around the EMR activities that run on it."""
    ACTION = "action"
    """A notifier, deadline alert or check on the tasks of the objects that name it."""
    SETTINGS = "settings"
    """No task: read by the objects that refer to it (schedules, data nodes, databases…)."""


OPERATORS = "dp_airflow.operators"


@dataclass(frozen=True)
class TypeEntry:
    """A Data Pipeline type and what every stage derives from it."""

    model: type[ObjectModel]
    role: Role
    operator: str | None = None
    """``module.Class`` of the operator, sensor or notifier its objects become."""
    becomes: str = ""
    """What it becomes in Airflow, for docs/mapping.md; empty: what its family becomes."""
    task_fields: tuple[str, ...] = ()
    """The fields its task receives as written (evaluated per run)."""
    field_use: Mapping[str, str] = field(default_factory=dict)
    """Its own treatment of fields, over ``field_use.FIELD_USE`` (docs and the report)."""

    @property
    def name(self) -> str:
        """The type's name, as ``type`` fields spell it."""
        return self.model.type_name()

    @property
    def operator_name(self) -> str | None:
        """The class name of its operator, sensor or notifier."""
        return self.operator.rsplit(".", 1)[1] if self.operator else None


def _activity(
    model: type[ObjectModel], module: str, becomes: str, task_fields: tuple[str, ...] = ()
) -> TypeEntry:
    name = model.type_name()
    return TypeEntry(
        model,
        Role.ACTIVITY,
        f"{OPERATORS}.{module}.{name}Operator",
        f"`{name}Operator`{becomes}",
        task_fields,
    )


def _emr_steps(model: type[ObjectModel], becomes: str) -> TypeEntry:
    return TypeEntry(
        model, Role.EMR_STEPS, f"{OPERATORS}.emr.EmrStepsOperator", f"`EmrStepsOperator`: {becomes}"
    )


def _precondition(
    model: type[ObjectModel], task_fields: tuple[str, ...], becomes: str = ""
) -> TypeEntry:
    name = model.type_name()
    sensor = f"{name}Sensor"
    return TypeEntry(
        model,
        Role.PRECONDITION,
        f"{OPERATORS}.preconditions.{sensor}",
        f"`{sensor}`{becomes}",
        task_fields,
    )


def _settings(model: type[ObjectModel], **overrides: str) -> TypeEntry:
    return TypeEntry(model, Role.SETTINGS, field_use=overrides)


_SHELL_FIELDS = ("command", "scriptUri", "scriptArgument", "stdout", "stderr")

_ENTRIES = (
    _settings(Schedule),
    _settings(S3DataNode),
    _settings(SqlDataNode),
    _settings(MySqlDataNode),
    _settings(DynamoDBDataNode),
    _settings(RedshiftDataNode),
    _activity(CopyActivity, "copy_activity", " (S3→S3, SQL→S3, S3→SQL)"),
    _emr_steps(EmrActivity, "its `step`s on the runsOn cluster"),
    _emr_steps(HadoopActivity, "a jar step on the runsOn cluster"),
    _emr_steps(HiveActivity, "a Hive step with staged tables"),
    _emr_steps(HiveCopyActivity, "a generated Hive copy step"),
    _emr_steps(PigActivity, "a Pig step with staged relations"),
    _activity(
        RedshiftCopyActivity,
        "redshift_copy_activity",
        " (staging table, insert modes)",
        ("insertMode", "commandOptions", "transformSql"),
    ),
    _activity(
        ShellCommandActivity,
        "shell_command_activity",
        "",
        ("command", "scriptUri", "scriptArgument", "stage", "stdout", "stderr"),
    ),
    _activity(
        SqlActivity,
        "sql_activity",
        " (one transaction)",
        ("database", "script", "scriptUri", "scriptArgument"),
    ),
    _settings(Ec2Resource, role=EC2, resourceRole=EC2, keyPair=EC2, region=EC2, initTimeout=EC2),
    TypeEntry(
        EmrCluster,
        Role.CLUSTER,
        f"{OPERATORS}.emr.EmrClusterOperator",
        "`EmrClusterOperator` (setup) and the provider's `EmrTerminateJobFlowOperator` "
        "(teardown) when EMR activities run on it; otherwise no task",
    ),
    _precondition(DynamoDBDataExists, ("tableName",)),
    _precondition(DynamoDBTableExists, ("tableName",)),
    _precondition(S3KeyExists, ("s3Key",), " (the provider's S3KeySensor)"),
    _precondition(S3PrefixNotEmpty, ("s3Prefix",)),
    _precondition(Exists, (), " (S3, DynamoDB, SQL and Redshift nodes)"),
    _precondition(ShellCommandPrecondition, _SHELL_FIELDS),
    _settings(JdbcDatabase),
    _settings(RdsDatabase),
    _settings(RedshiftDatabase),
    _settings(CSV),
    _settings(TSV),
    _settings(Custom),
    _settings(RegEx),
    _settings(DynamoDBDataFormat),
    _settings(DynamoDBExportDataFormat),
    TypeEntry(
        SnsAlarm,
        Role.ACTION,
        "dp_airflow.notifiers.sns_alarm.SnsAlarmNotifier",
        "`SnsAlarmNotifier` on `onFail`/`onSuccess`; a deadline alert on `onLateAction`",
    ),
    TypeEntry(
        Terminate,
        Role.ACTION,
        becomes="on `onLateAction`: the late task fails as CANCELED instead of starting",
    ),
    _settings(ShellScriptConfig),
    _settings(EmrConfiguration),
    _settings(Property),
    _settings(HttpProxy),
    _settings(EbsConfiguration),
    _settings(EbsBlockDeviceConfig),
    _settings(VolumeSpecification),
)

REGISTRY: dict[str, TypeEntry] = {entry.name: entry for entry in _ENTRIES}
"""Type name → its entry, in the reference's order."""


def translated(type_name: str, *roles: Role) -> bool:
    """Whether a type has one of ``roles`` and an operator its objects become."""
    entry = REGISTRY.get(type_name)
    return entry is not None and entry.role in roles and entry.operator is not None


def field_use(type_name: str, field_name: str) -> str | None:
    """What dp-airflow does with a field of a type: the type's own treatment, else the shared."""
    entry = REGISTRY.get(type_name)
    own = entry.field_use.get(field_name) if entry is not None else None
    return own or FIELD_USE.get(field_name)

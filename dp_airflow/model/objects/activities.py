"""Activities: the work a pipeline does."""

from __future__ import annotations

import enum
from typing import Annotated, ClassVar, Literal

from dp_airflow.model.objects.base import (
    Boolean,
    Category,
    Expression,
    Integer,
    PlacedFields,
    Ref,
    Text,
    TextList,
    choices,
    ref,
)
from dp_airflow.model.slots import Kind, Slot

NodeRefs = Annotated[tuple[Ref, ...], ref(Category.DATA_NODE, multi=True)]
TaskConfigRef = Annotated[Ref | None, ref("ShellScriptConfig")]
Steps = Annotated[tuple[str, ...], Slot(Kind.STRING, multi=True, maximum=255)]


class Activity(PlacedFields):
    """Fields every activity has: its inputs and outputs, and where it runs."""

    category: ClassVar[Category] = Category.ACTIVITY
    one_of: ClassVar[tuple[tuple[str, ...], ...]] = (("runsOn", "workerGroup"),)

    input: NodeRefs = ()
    output: NodeRefs = ()


class ShellCommandActivity(Activity):
    """A shell command (or S3 script) with positional ``scriptArgument`` values."""

    one_of = (("runsOn", "workerGroup"), ("command", "scriptUri"))

    type: Literal["ShellCommandActivity"] = "ShellCommandActivity"
    command: Text | None = None
    script_uri: Text | None = None
    script_argument: TextList = ()
    stage: Boolean | None = None
    stdout: Text | None = None
    stderr: Text | None = None


class SqlActivity(Activity):
    """A SQL script (inline or from S3) run against a database object."""

    one_of = (("runsOn", "workerGroup"), ("script", "scriptUri"))

    type: Literal["SqlActivity"] = "SqlActivity"
    database: Annotated[Ref, ref(Category.DATABASE)]
    script: Text | None = None
    script_uri: Text | None = None
    script_argument: TextList = ()
    queue: Text | None = None


class CopyActivity(Activity):
    """Record copy between S3 and SQL data nodes; no fields of its own."""

    type: Literal["CopyActivity"] = "CopyActivity"


class EmrStepsFields(Activity):
    """Fields shared by the EMR-based activities."""

    resize_cluster_before_running: Boolean | None = None
    resize_cluster_max_instances: Integer | None = None


class HadoopTaskConfigFields(EmrStepsFields):
    """Scripts EMR activities run before and after their steps."""

    pre_activity_task_config: TaskConfigRef = None
    post_activity_task_config: TaskConfigRef = None


class EmrActivity(EmrStepsFields):
    """EMR steps written as ``jar,arg1,arg2`` (commas in arguments escaped as ``\\,``)."""

    type: Literal["EmrActivity"] = "EmrActivity"
    step: Steps = ()
    pre_step_command: Steps = ()
    post_step_command: Steps = ()


class HadoopActivity(HadoopTaskConfigFields):
    """A MapReduce jar run as a step on the runsOn EmrCluster."""

    type: Literal["HadoopActivity"] = "HadoopActivity"
    jar_uri: Text
    main_class: Text | None = None
    argument: TextList = ()
    hadoop_queue: Text | None = None


class HiveActivity(HadoopTaskConfigFields):
    """A Hive script run on the runsOn EmrCluster over staged input and output tables."""

    one_of = (("runsOn", "workerGroup"), ("hiveScript", "scriptUri"))

    type: Literal["HiveActivity"] = "HiveActivity"
    hive_script: Text | None = None
    script_uri: Text | None = None
    script_variable: TextList = ()
    stage: Boolean | None = None
    hadoop_queue: Text | None = None


class HiveCopyActivity(HadoopTaskConfigFields):
    """A Hive copy between two data nodes, filtered by `filterSql`."""

    type: Literal["HiveCopyActivity"] = "HiveCopyActivity"
    filter_sql: Text | None = None


class PigActivity(HadoopTaskConfigFields):
    """A Pig script run on the runsOn EmrCluster over staged relations."""

    one_of = (("runsOn", "workerGroup"), ("script", "scriptUri"))

    type: Literal["PigActivity"] = "PigActivity"
    script: Text | None = None
    script_uri: Text | None = None
    script_variable: TextList = ()
    stage: Boolean | None = None
    generated_scripts_path: Text | None = None
    """Undocumented; seen in an AWS sample."""


class InsertMode(enum.StrEnum):
    """How RedshiftCopyActivity writes into its table."""

    KEEP_EXISTING = "KEEP_EXISTING"
    OVERWRITE_EXISTING = "OVERWRITE_EXISTING"
    TRUNCATE = "TRUNCATE"
    APPEND = "APPEND"


class RedshiftCopyActivity(Activity):
    """A copy into Redshift (or from it) through a staging table and an insert mode."""

    type: Literal["RedshiftCopyActivity"] = "RedshiftCopyActivity"
    insert_mode: Annotated[InsertMode | Expression, Slot(Kind.ENUM, choices=choices(InsertMode))]
    command_options: TextList = ()
    queue: Text | None = None
    transform_sql: Text | None = None

"""EMR activities as EMR steps (``AddJobFlowSteps`` entries), from evaluated fields.

- EmrActivity: each ``step`` is ``jar,arg,…`` with ``\\,`` for a literal comma;
  ``preStepCommand`` / ``postStepCommand`` run as shell steps before / after them.
- HadoopActivity: ``jarUri`` with ``mainClass`` and ``argument``s (``hadoopQueue`` →
  ``-D mapreduce.job.queuename=…``).
- HiveActivity / PigActivity: the script (inline or ``scriptUri``) with ``scriptVariable``s as
  ``-d`` / ``-p``; with staging (the default), ``${input1}``… / ``${output1}``… name tables
  (Hive, external tables over the S3 or DynamoDB nodes) or relations (Pig, LOAD/STORE with
  PigStorage).
- HiveCopyActivity: a generated Hive script copying input to output with ``filterSql``.

Every step uses ``command-runner.jar`` or the activity's jar and ``ActionOnFailure: CONTINUE``:
a failed step fails its task, and the pipeline's teardown task terminates the cluster.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from dp_airflow.emr.cluster import split_escaped

COMMAND_RUNNER = "command-runner.jar"
# Writes the generated prefix, the script (inline or from S3) and the suffix to a file, then
# runs the tool on it; every piece is a positional argument, never spliced into shell text.
_RUN_SCRIPT = (
    'f=$(mktemp); { printf "%s\\n" "$1"; if [ -n "$3" ]; then aws s3 cp "$3" -; '
    'else printf "%s\\n" "$2"; fi; printf "%s\\n" "$4"; } > "$f"; tool=$5; shift 5; '
    'exec "$tool" -f "$f" "$@"'
)


class StepError(ValueError):
    """An activity whose steps cannot be built (named with the field)."""


@dataclass(frozen=True)
class NodeInfo:
    """A data node as Hive/Pig staging sees it (evaluated)."""

    node_id: str
    kind: str
    """``S3`` or ``DynamoDB``."""
    location: str
    """The S3 directory URL, or the DynamoDB table name."""
    columns: tuple[str, ...] = ()
    """``name TYPE`` entries of the node's data format."""
    separator: str = ","
    dynamodb_mapping: Mapping[str, str] = field(default_factory=dict)
    export_format: bool = False
    """A DynamoDBExportDataFormat: without columns the whole item is one ``map`` column."""
    regex: tuple[str, str] | None = None
    """A RegEx format's ``inputRegEx`` and ``outputFormat`` (Hive's RegexSerDe)."""


def _step(
    name: str, jar: str, args: Sequence[str], main_class: str | None = None
) -> dict[str, Any]:
    jar_step: dict[str, Any] = {"Jar": jar, "Args": list(args)}
    if main_class:
        jar_step["MainClass"] = main_class
    return {"Name": name, "ActionOnFailure": "CONTINUE", "HadoopJarStep": jar_step}


def shell_step(name: str, command: str) -> dict[str, Any]:
    """An EMR step running ``command`` with ``bash -c`` through command-runner."""
    return _step(name, COMMAND_RUNNER, ["bash", "-c", command])


def emr_activity_steps(
    object_id: str, steps: Sequence[str], pre: Sequence[str] = (), post: Sequence[str] = ()
) -> list[dict[str, Any]]:
    """An EmrActivity's steps (``jar,arg,…``), between its pre- and post-step commands."""
    out = [shell_step(f"{object_id} preStepCommand {i}", c) for i, c in enumerate(pre, 1)]
    for index, text in enumerate(steps, start=1):
        parts = split_escaped(text)
        if not parts or not parts[0]:
            raise StepError(f"{object_id}: step {index} has no jar: {text!r}")
        out.append(_step(f"{object_id} step {index}", parts[0], parts[1:]))
    out += [shell_step(f"{object_id} postStepCommand {i}", c) for i, c in enumerate(post, 1)]
    return out


def hadoop_activity_steps(
    object_id: str,
    jar_uri: str,
    main_class: str | None,
    arguments: Sequence[str],
    queue: str | None = None,
) -> list[dict[str, Any]]:
    """A HadoopActivity's jar step, with its Hadoop queue as a ``-D`` option."""
    args = (["-D", f"mapreduce.job.queuename={queue}"] if queue else []) + list(arguments)
    return [_step(f"{object_id}", jar_uri, args, main_class)]


def table_name(object_id: str, role: str) -> str:
    """A Hive table name per activity and input/output, so activities on one cluster differ."""
    return re.sub(r"[^a-z0-9_]", "_", f"{object_id}_{role}".lower())


def _hive_columns(node: NodeInfo) -> str:
    if not node.columns:
        raise StepError(
            f"{node.node_id}: staging needs the columns of its data format (`column` values "
            'such as "name STRING")'
        )
    return ", ".join(node.columns)


ITEM_COLUMN = "item map<string,string>"
REGEX_SERDE = "org.apache.hadoop.hive.serde2.RegexSerDe"


def _hive_string(text: str) -> str:
    """``text`` inside a double-quoted HiveQL string (backslashes and quotes escaped)."""
    return text.replace("\\", "\\\\").replace('"', '\\"')


EXPORT_SERDE = "org.apache.hadoop.hive.dynamodb.DynamoDBExportSerDe"
DYNAMODB_HANDLER = "org.apache.hadoop.hive.dynamodb.DynamoDBStorageHandler"


def hive_table_ddl(table: str, node: NodeInfo) -> str:
    """The Hive DDL of a staged table over a data node (S3 location or DynamoDB table)."""
    if node.export_format and not node.columns:  # sparse: the item as a map, as DP did
        if node.kind == "DynamoDB":
            return (
                f"DROP TABLE IF EXISTS {table};\nCREATE EXTERNAL TABLE {table} ({ITEM_COLUMN}) "
                f"STORED BY '{DYNAMODB_HANDLER}' "
                f'TBLPROPERTIES ("dynamodb.table.name" = "{node.location}");'
            )
        return (
            f"DROP TABLE IF EXISTS {table};\nCREATE EXTERNAL TABLE {table} ({ITEM_COLUMN}) "
            f"ROW FORMAT SERDE '{EXPORT_SERDE}' LOCATION '{node.location}';"
        )
    columns = _hive_columns(node)
    if node.kind == "DynamoDB":
        mapping = ",".join(f"{k}:{v}" for k, v in node.dynamodb_mapping.items()) or ",".join(
            f"{c.split()[0]}:{c.split()[0]}" for c in node.columns
        )
        return (
            f"DROP TABLE IF EXISTS {table};\nCREATE EXTERNAL TABLE {table} ({columns}) "
            f"STORED BY '{DYNAMODB_HANDLER}' "
            f'TBLPROPERTIES ("dynamodb.table.name" = "{node.location}", '
            f'"dynamodb.column.mapping" = "{mapping}");'
        )
    if node.regex is not None:
        pattern, output = (_hive_string(text) for text in node.regex)
        output_property = f', "output.format.string" = "{output}"' if node.regex[1] else ""
        return (
            f"DROP TABLE IF EXISTS {table};\nCREATE EXTERNAL TABLE {table} ({columns}) "
            f"ROW FORMAT SERDE '{REGEX_SERDE}' "
            f'WITH SERDEPROPERTIES ("input.regex" = "{pattern}"{output_property}) '
            f"LOCATION '{node.location}';"
        )
    separator = node.separator.encode("unicode_escape").decode()
    return (
        f"DROP TABLE IF EXISTS {table};\nCREATE EXTERNAL TABLE {table} ({columns}) "
        f"ROW FORMAT DELIMITED FIELDS TERMINATED BY '{separator}' LOCATION '{node.location}';"
    )


def _script_step(
    name: str,
    tool: str,
    prefix: str,
    script: str | None,
    script_uri: str | None,
    suffix: str,
    parameters: Sequence[str],
) -> dict[str, Any]:
    args = ["bash", "-c", _RUN_SCRIPT, "run-script", prefix, script or "", script_uri or "", suffix]
    return _step(name, COMMAND_RUNNER, [*args, tool, *parameters])


def hive_activity_steps(
    object_id: str,
    script: str | None,
    script_uri: str | None,
    variables: Sequence[str],
    inputs: Sequence[NodeInfo],
    outputs: Sequence[NodeInfo],
    stage: bool = True,
) -> list[dict[str, Any]]:
    """A HiveActivity's step: its staged tables, then its script with ``-d`` variables."""
    parameters: list[str] = []
    ddl: list[str] = []
    if stage:
        for role, nodes in (("input", inputs), ("output", outputs)):
            for index, node in enumerate(nodes, start=1):
                table = table_name(object_id, f"{role}{index}")
                ddl.append(hive_table_ddl(table, node))
                parameters += ["-d", f"{role}{index}={table}"]
    for variable in variables:
        parameters += ["-d", variable]
    return [_script_step(object_id, "hive", "\n".join(ddl), script, script_uri, "", parameters)]


def pig_activity_steps(
    object_id: str,
    script: str | None,
    script_uri: str | None,
    variables: Sequence[str],
    inputs: Sequence[NodeInfo],
    outputs: Sequence[NodeInfo],
    stage: bool = True,
) -> list[dict[str, Any]]:
    """A PigActivity's step: its staged relations, then its script with ``-p`` parameters."""
    prefix, suffix = [], []
    if stage:
        for index, node in enumerate(inputs, start=1):
            schema = ", ".join(_pig_field(c) for c in node.columns)
            storage = _pig_loader(node)
            prefix.append(
                f"input{index} = LOAD '{node.location}' USING {storage}"
                + (f" AS ({schema})" if schema else "")
                + ";"
            )
        for index, node in enumerate(outputs, start=1):
            storage = f"PigStorage('{node.separator.encode('unicode_escape').decode()}')"
            suffix.append(f"STORE output{index} INTO '{node.location}' USING {storage};")
    parameters: list[str] = []
    for variable in variables:
        parameters += ["-p", variable]
    return [
        _script_step(
            object_id, "pig", "\n".join(prefix), script, script_uri, "\n".join(suffix), parameters
        )
    ]


def _pig_loader(node: NodeInfo) -> str:
    """PigStorage with the separator, or piggybank's regex loader for a RegEx format."""
    if node.regex is not None:
        pattern = node.regex[0].replace("\\", "\\\\").replace("'", "\\'")
        return f"org.apache.pig.piggybank.storage.MyRegExLoader('{pattern}')"
    return f"PigStorage('{node.separator.encode('unicode_escape').decode()}')"


def _pig_field(column: str) -> str:
    parts = column.split()
    types = {"STRING": "chararray", "INT": "int", "BIGINT": "long", "DOUBLE": "double"}
    pig_type = types.get(parts[1].upper(), "chararray") if len(parts) > 1 else "chararray"
    return f"{parts[0]}:{pig_type}"


def hive_copy_steps(
    object_id: str, source: NodeInfo, target: NodeInfo, filter_sql: str | None
) -> list[dict[str, Any]]:
    """A HiveCopyActivity's generated Hive copy step, filtered by ``filterSql``."""
    source_table, target_table = table_name(object_id, "input1"), table_name(object_id, "output1")
    if not target.columns:
        target = NodeInfo(
            target.node_id,
            target.kind,
            target.location,
            source.columns,
            target.separator,
            target.dynamodb_mapping,
        )
    where = f" WHERE {filter_sql}" if filter_sql else ""
    script = "\n".join(
        [
            hive_table_ddl(source_table, source),
            hive_table_ddl(target_table, target),
            f"INSERT OVERWRITE TABLE {target_table} SELECT * FROM {source_table}{where};",
        ]
    )
    return [_script_step(object_id, "hive", "", script, None, "", [])]

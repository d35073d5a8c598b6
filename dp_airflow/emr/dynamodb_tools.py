"""DynamoDB export and import steps (emr-dynamodb-tools' DynamoDbExport / DynamoDbImport).

AWS's DynamoDB templates run ``org.apache.hadoop.dynamodb.tools.DynamoDbExport`` (or ``Import``)
from the ``emr-ddb`` jar on an EMR cluster. dp-airflow recognises these steps and runs them
without a cluster: a scan written to S3, or S3 lines batch-written to the table, at the step's
throughput ratio. Items are JSON lines in the tool's format: each attribute maps to its value
under the AWS SDK v1 field name (``s``, ``n``, ``b``, ``sS``, ``nS``, ``bS``, ``m``, ``l``,
``bOOL``, ``nULLValue``); import reads those names in any letter case.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dp_airflow.emr.cluster import split_escaped

TOOLS = {
    "org.apache.hadoop.dynamodb.tools.DynamoDbExport": "export",
    "org.apache.hadoop.dynamodb.tools.DynamoDbImport": "import",
}
_TO_TOOL = {
    "S": "s",
    "N": "n",
    "B": "b",
    "SS": "sS",
    "NS": "nS",
    "BS": "bS",
    "M": "m",
    "L": "l",
    "BOOL": "bOOL",
    "NULL": "nULLValue",
}
_FROM_TOOL = {k.lower(): v for v, k in _TO_TOOL.items()}


@dataclass(frozen=True)
class ToolStep:
    """One DynamoDbExport or DynamoDbImport step: table, S3 path and throughput ratio."""

    action: str
    """``export`` or ``import``."""
    s3_path: str
    table: str
    throughput_ratio: float


def tool_class(step_text: str) -> str | None:
    """The DynamoDB tool a raw step string runs, if any (expressions may still be in it)."""
    parts = split_escaped(step_text)
    if len(parts) >= 2 and "emr-ddb" in parts[0] and parts[1] in TOOLS:
        return TOOLS[parts[1]]
    return None


def parse_tool_step(step_text: str) -> ToolStep:
    """An evaluated DynamoDbExport/Import step: ``jar,class,s3 path,table[,ratio]``."""
    parts = split_escaped(step_text)
    if len(parts) < 4 or parts[1] not in TOOLS:
        raise ValueError(f"not a DynamoDB export/import step: {step_text!r}")
    ratio = float(parts[4]) if len(parts) > 4 and parts[4] else 0.25
    return ToolStep(TOOLS[parts[1]], parts[2], parts[3], ratio)


def to_tool_json(item: Mapping[str, Any]) -> dict[str, Any]:
    """A low-level DynamoDB item (``{"a": {"S": "x"}}``) in the tool's JSON."""
    return {name: _value_out(value) for name, value in item.items()}


def _value_out(value: Mapping[str, Any]) -> dict[str, Any]:
    ((kind, inner),) = value.items()
    if kind == "M":
        inner = to_tool_json(inner)
    elif kind == "L":
        inner = [_value_out(v) for v in inner]
    elif kind == "B":
        inner = base64.b64encode(inner).decode()
    elif kind == "BS":
        inner = [base64.b64encode(v).decode() for v in inner]
    return {_TO_TOOL[kind]: inner}


def from_tool_json(item: Mapping[str, Any]) -> dict[str, Any]:
    """The tool's JSON back to a low-level DynamoDB item."""
    return {name: _value_in(value) for name, value in item.items()}


def _value_in(value: Mapping[str, Any]) -> dict[str, Any]:
    ((key, inner),) = value.items()
    kind = _FROM_TOOL.get(key.lower())
    if kind is None:
        raise ValueError(f"unknown DynamoDB attribute type {key!r}")
    if kind == "M":
        inner = from_tool_json(inner)
    elif kind == "L":
        inner = [_value_in(v) for v in inner]
    elif kind == "B":
        inner = base64.b64decode(inner)
    elif kind == "BS":
        inner = [base64.b64decode(v) for v in inner]
    return {kind: inner}


def all_tool_steps(steps: Sequence[str]) -> bool:
    """Whether every step runs AWS's DynamoDbExport or DynamoDbImport tool (run natively)."""
    return bool(steps) and all(tool_class(s) is not None for s in steps)

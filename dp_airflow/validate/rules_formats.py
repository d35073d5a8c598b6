"""Data formats an activity cannot read or write: RegEx outside Hive staging.

Data Pipeline reads a RegEx format only when HiveActivity, HiveCopyActivity (Hive's RegexSerDe)
or PigActivity (piggybank's regex loader) stage their nodes; a CopyActivity reads CSV and TSV
(and writes those and Custom). Refused here, so a definition does not validate and then fail at
run time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dp_airflow.validate.context import Context

REGEX_READERS = frozenset({"HiveActivity", "HiveCopyActivity", "PigActivity"})


def check(context: Context) -> None:
    """Data formats an activity cannot read or write."""
    for activity in context.resolved.values():
        kind = activity.type or ""
        if not kind.endswith("Activity") or kind in REGEX_READERS:
            continue
        for key in ("input", "output"):
            for node_id in activity.ref_ids(key):
                node = context.resolved.get(node_id)
                formats = node.ref_ids("dataFormat") if node is not None else []
                regex = [f for f in formats if context.type_of(f) == "RegEx"]
                if not regex:
                    continue
                written = activity.fields[key]
                context.sink.error(
                    "regex-format",
                    f"{node_id}'s data format {regex[0]} is RegEx, which Data Pipeline reads only "
                    f"when Hive or Pig activities stage a node; a {kind} cannot "
                    f"{'read' if key == 'input' else 'write'} it (use CSV, TSV or Custom)",
                    object_id=activity.id,
                    field=key,
                    location=written.field.location,
                )

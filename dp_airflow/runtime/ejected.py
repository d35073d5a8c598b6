"""A pipeline's runtime from the plain data an ejected DAG file holds (``dp-airflow eject``).

The file lists each object's own fields as the definition wrote them (``Default`` and ``parent``
inheritance is applied here, as for a definition), the parameters and the parameter values;
nothing is read from the original definition.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dp_airflow.diagnostics import DiagnosticSink
from dp_airflow.plan.pipeline_runtime import PipelineRuntime
from dp_airflow.read.raw import RawField, RawObject, RawParameter, RawValue
from dp_airflow.resolve.inheritance import resolve_inheritance

FieldValue = str | Mapping[str, str] | list[Any]
"""A field's value as written: text, ``{"ref": id}``, or a list of these."""


def pipeline_runtime(
    pipeline_id: str,
    *,
    objects: Mapping[str, Mapping[str, FieldValue]],
    parameters: Mapping[str, Mapping[str, FieldValue]] | None = None,
    values: Mapping[str, FieldValue] | None = None,
    supplied: Mapping[str, FieldValue] | None = None,
) -> PipelineRuntime:
    """The runtime the loader would build, from objects (id → ``name`` and fields), parameters
    (id → attributes), the definition's values and supplied values (values files)."""
    raw = {object_id: _object(object_id, fields) for object_id, fields in objects.items()}
    resolved = resolve_inheritance(raw, DiagnosticSink())
    declared = {
        parameter_id: RawParameter(
            parameter_id, tuple(_field(key, value) for key, value in attributes.items())
        )
        for parameter_id, attributes in (parameters or {}).items()
    }
    return PipelineRuntime.build(
        resolved,
        declared,
        _texts(values or {}),
        pipeline_id,
        supplied=_texts(supplied or {}),
    )


def _object(object_id: str, fields: Mapping[str, FieldValue]) -> RawObject:
    name = fields.get("name")
    raw_fields = tuple(_field(key, value) for key, value in fields.items() if key != "name")
    return RawObject(object_id, name if isinstance(name, str) else None, raw_fields)


def _field(key: str, value: FieldValue) -> RawField:
    items = value if isinstance(value, list) else [value]
    return RawField(key, tuple(_value(item) for item in items), written_as_list=len(items) != 1)


def _value(item: Any) -> RawValue:
    if isinstance(item, Mapping):
        return RawValue(ref=str(item["ref"]))
    return RawValue(text=str(item))


def _texts(values: Mapping[str, FieldValue]) -> dict[str, tuple[str, ...]]:
    return {
        key: tuple(str(v) for v in (value if isinstance(value, list) else [value]))
        for key, value in values.items()
    }

"""Parameter rules: ids, types, allowed values, defaults, and values for every required one."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from dp_airflow.diagnostics import did_you_mean
from dp_airflow.discovery import dag_id_for
from dp_airflow.model.object_types import ParameterType
from dp_airflow.model.slots import (
    LiteralError,
    match_choice,
    parse_boolean,
    parse_double,
    parse_integer,
)
from dp_airflow.read.inputs import missing_value_message
from dp_airflow.read.raw import RawField, RawParameter, RawValue
from dp_airflow.validate.context import USER_FIELD

if TYPE_CHECKING:
    from dp_airflow.validate.context import Context

PARAMETER_ID = re.compile(r"^\*?my[A-Za-z0-9_]")
MAX_PARAMETERS = 50
ATTRIBUTES = (
    "type",
    "description",
    "optional",
    "allowedValues",
    "default",
    "isArray",
    "watermark",
    "helpText",
    "helpLink",
)
_TYPES = tuple(t.value for t in ParameterType)


def check(context: Context) -> None:
    """Parameters: declarations, types, allowed values, and every value given."""
    definition, sink = context.definition, context.sink
    declared: dict[str, RawParameter] = {}
    for parameter in definition.parameters:
        where = {"object_id": parameter.id, "location": parameter.location}
        if parameter.id in declared:
            sink.error(
                "duplicate-parameter", f"parameter {parameter.id!r} is declared twice", **where
            )
            continue
        declared[parameter.id] = parameter
        if not PARAMETER_ID.match(parameter.id):
            sink.error(
                "parameter-id",
                f"parameter id {parameter.id!r} must start with 'my' (or '*my' for a secret)",
                **where,
            )
        _check_attributes(context, parameter)
    if len(declared) > MAX_PARAMETERS:
        sink.error(
            "too-many-parameters",
            f"{len(declared)} parameters declared; the limit is {MAX_PARAMETERS}",
        )
    layers = [(None, definition.values)] + [(s.origin, s.values) for s in definition.supplied]
    for index, (origin, values) in enumerate(layers):
        # A value overridden by a later layer is never used, as with the AWS CLI's flags.
        above = {f.key for _, later in layers[index + 1 :] for f in later}
        for value_field in values:
            if value_field.key in above:
                continue
            declared_parameter = declared.get(value_field.key)
            if declared_parameter is None:
                sink.warning(
                    "unknown-parameter",
                    f"value for {value_field.key!r}, which is not a declared parameter"
                    + did_you_mean(value_field.key, list(declared)),
                    object_id=value_field.key,
                    location=value_field.location,
                    file=origin,
                )
                continue
            _check_values(context, declared_parameter, value_field, "value", origin)
    supplied = definition.value_texts()
    dag_id = dag_id_for(definition.file or "definition", definition.pipeline_name)
    for parameter in declared.values():
        optional = (parameter.text("optional") or "false").strip().lower() == "true"
        if parameter.id not in supplied and parameter.get("default") is None and not optional:
            # Data Pipeline takes values at put or activation time, so a definition without
            # them is still valid: say where one can be given.
            sink.warning(
                "parameter-missing-value",
                missing_value_message(parameter.id, dag_id),
                object_id=parameter.id,
                location=parameter.location,
            )


def _check_attributes(context: Context, parameter: RawParameter) -> None:
    sink = context.sink
    for attribute in parameter.attributes:
        where = {"object_id": parameter.id, "field": attribute.key, "location": attribute.location}
        if attribute.key not in ATTRIBUTES and not USER_FIELD.match(attribute.key):
            sink.warning(
                "unknown-attribute",
                f"{attribute.key!r} is not a parameter attribute; it is ignored"
                + did_you_mean(attribute.key, ATTRIBUTES),
                **where,
            )
            continue
        if any(v.is_ref for v in attribute.values):
            sink.error("expected-string", "parameter attributes are strings", **where)
            continue
        if attribute.key not in ATTRIBUTES:
            continue
        if attribute.key == "type":
            text = attribute.value.text or ""
            try:
                canonical = match_choice(text, _TYPES)
            except LiteralError:
                sink.error(
                    "parameter-type",
                    f"parameter type {text!r} is not one of {', '.join(_TYPES)}"
                    + did_you_mean(text, _TYPES),
                    **where,
                )
            else:
                if canonical != text:
                    sink.warning("enum-case", f"'type': {text!r} is read as {canonical!r}", **where)
        elif attribute.key in ("optional", "isArray"):
            try:
                parse_boolean(attribute.value.text or "")
            except LiteralError as exc:
                sink.error("invalid-value", f"{attribute.key!r}: {exc}", **where)
        elif attribute.key == "default":
            _check_values(context, parameter, attribute, "default")


def _check_values(
    context: Context,
    parameter: RawParameter,
    values: RawField,
    what: str,
    origin: str | None = None,
) -> None:
    """Type, ``allowedValues`` and arity of values; ``origin`` is the file (or flag) they are
    from when that is not the definition."""
    sink = context.sink
    is_array = (parameter.text("isArray") or "false").strip().lower() == "true"
    where = {"object_id": parameter.id, "field": what, "location": values.location, "file": origin}
    if len(values.values) > 1 and not is_array:
        sink.error(
            "multiple-values",
            f"{len(values.values)} values for a parameter that is not an array "
            '(set "isArray": "true")',
            **where,
        )
    allowed_field = parameter.get("allowedValues")
    allowed = [v.text for v in allowed_field.values] if allowed_field else []
    for value in values.values:
        _check_value(context, parameter, value, what, allowed, origin)


def _check_value(
    context: Context,
    parameter: RawParameter,
    value: RawValue,
    what: str,
    allowed: list[str | None],
    origin: str | None,
) -> None:
    text = value.text or ""
    where = {"object_id": parameter.id, "field": what, "location": value.location, "file": origin}
    type_name = (parameter.text("type") or "String").strip().lower()
    parser = {"integer": parse_integer, "double": parse_double}.get(type_name)
    if parser is not None and "#{" not in text:
        try:
            parser(text)
        except LiteralError as exc:
            shown = "(secret)" if parameter.id.startswith("*") else repr(text)
            message = str(exc) if not parameter.id.startswith("*") else f"{shown} is not valid"
            context.sink.error(
                "parameter-type-mismatch",
                f"{what} {message} for an {type_name.capitalize()} parameter",
                **where,
            )
    if allowed and text not in allowed:
        shown = "the value" if parameter.id.startswith("*") else repr(text)
        context.sink.error(
            "parameter-not-allowed",
            f"{what} {shown} is not one of the allowedValues ({', '.join(map(str, allowed))})",
            **where,
        )

"""Turn a validated definition into the typed ``Pipeline``: literals parsed, inheritance applied."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import SecretStr, ValidationError

from dp_airflow.model.object_types import (
    Parameter,
    ParameterValue,
    Pipeline,
    field_specs,
)
from dp_airflow.model.objects.base import Expression, ObjectModel, Ref
from dp_airflow.model.slots import (
    LITERAL_PARSERS,
    ONDEMAND_PERIOD,
    Kind,
    Slot,
    has_expression,
    match_choice,
)
from dp_airflow.read.raw import RawDefinition, RawField, RawParameter, RawValue
from dp_airflow.validate.context import USER_FIELD

if TYPE_CHECKING:
    from dp_airflow.resolve.inheritance import ResolvedObject
    from dp_airflow.validate.context import Context


def build_pipeline(definition: RawDefinition, context: Context) -> Pipeline | None:
    """The typed ``Pipeline`` of a definition, or None with diagnostics for invalid values."""
    objects: dict[str, Any] = {}
    for obj, cls in context.typed():
        data = _model_data(obj, cls, attribute_names=False)
        try:
            objects[obj.id] = cls.model_validate(data, by_alias=True, by_name=True)
        except ValidationError as exc:
            for error in exc.errors():
                location = [str(p) for p in error["loc"]]
                context.sink.error(
                    "invalid-value",
                    f"{'.'.join(location)}: {error['msg']}",
                    object_id=obj.id,
                    field=location[0] if location else None,
                    location=obj.raw.location,
                )
    if context.sink.has_errors:
        return None
    parameters = {p.id: _parameter(p) for p in definition.parameters}
    values: dict[str, ParameterValue] = {
        f.key: tuple(_parameter_value(f.key, v) for v in f.values)
        for layer in (definition.values, *(s.values for s in definition.supplied))
        for f in layer
    }
    return Pipeline(
        name=definition.pipeline_name, objects=objects, parameters=parameters, values=values
    )


def typed_objects(context: Context) -> dict[str, ObjectModel]:
    """Each typed object of a validated definition as an instance of its model class, made
    without validating again: validation checked every value, and pydantic's validators, built
    anew in every process that parses DAGs, would cost more than the whole validation."""
    return {
        obj.id: cls.model_construct(**_model_data(obj, cls, attribute_names=True))
        for obj, cls in context.typed()
    }


def _model_data(
    obj: ResolvedObject, cls: type[ObjectModel], attribute_names: bool
) -> dict[str, Any]:
    """An object's effective fields as its model's values (literals parsed, refs as Ref),
    keyed by Data Pipeline name or by model attribute."""
    data: dict[str, Any] = {"id": obj.id, "name": obj.raw.name or obj.id, "type": obj.type}
    specs = field_specs(cls)
    user_fields: dict[str, tuple[Any, ...]] = {}
    for key, effective in obj.fields.items():
        if USER_FIELD.match(key):
            user_fields[key] = tuple(_user_value(key, v) for v in effective.field.values)
        elif key in specs:
            name = specs[key].attribute if attribute_names else key
            data[name] = _convert(effective.field, specs[key].slot)
    data["user_fields"] = user_fields
    return data


def _user_value(key: str, value: RawValue) -> str | Ref | SecretStr:
    if value.ref is not None:
        return Ref(value.ref)
    text = value.text or ""
    return SecretStr(text) if key.startswith("*") else text


def _convert(f: RawField, slot: Slot) -> Any:
    converted = [_convert_value(f.key, v, slot) for v in f.values]
    return tuple(converted) if slot.multi else converted[0]


def _convert_value(key: str, value: RawValue, slot: Slot) -> Any:
    if slot.kind is Kind.REF:
        return Ref(value.ref or "")
    text = value.text or ""
    if slot.kind is Kind.STRING:
        return SecretStr(text) if key.startswith("*") else text
    if has_expression(text):
        return Expression(text)
    if slot.kind is Kind.ENUM:
        return match_choice(text, slot.choices)
    if slot.kind is Kind.PERIOD and text == ONDEMAND_PERIOD:
        return text
    return LITERAL_PARSERS[slot.kind](text)


def _parameter(raw: RawParameter) -> Parameter:
    def flag(name: str) -> bool:
        return (raw.text(name) or "false").strip().lower() == "true"

    allowed = raw.get("allowedValues")
    default = raw.get("default")
    type_text = raw.text("type") or "String"
    return Parameter(
        id=raw.id,
        type=match_choice(
            type_text, tuple(t for t in ("String", "Integer", "Double", "AWS::S3::ObjectKey"))
        ),
        description=raw.text("description"),
        optional=flag("optional"),
        allowed_values=tuple(v.text or "" for v in allowed.values) if allowed else (),
        default=tuple(v.text or "" for v in default.values) if default else None,
        is_array=flag("isArray"),
        watermark=raw.text("watermark"),
        help_text=raw.text("helpText"),
        help_link=raw.text("helpLink"),
    )


def _parameter_value(key: str, value: RawValue) -> str | SecretStr:
    text = value.text or ""
    return SecretStr(text) if key.startswith("*") else text

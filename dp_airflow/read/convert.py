"""Write a raw definition in the CLI file format or the API format.

CLI → API follows the AWS CLI's own translator (``awscli/customizations/datapipeline``): ``name``
defaults to the id, fields are emitted sorted by key, a list becomes one field per element.
API → CLI folds repeated keys into lists, so a one-element list comes back as a scalar.
Literal values of ``*`` fields and ``*`` parameters are masked unless ``reveal_secrets``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from dp_airflow.read.raw import RawDefinition, RawField, RawValue

MASK = "********"


def to_api(definition: RawDefinition, reveal_secrets: bool = False) -> dict[str, Any]:
    """A definition in the API format (``pipelineObjects`` with key/stringValue/refValue)."""
    sort = definition.source_format != "api"
    objects = []
    for obj in definition.objects:
        fields = sorted(obj.fields, key=lambda f: f.key) if sort else list(obj.fields)
        api_fields = [
            _api_field(f.key, value, reveal_secrets) for f in fields for value in f.values
        ]
        objects.append({"id": obj.id, "name": obj.name or obj.id, "fields": api_fields})
    out: dict[str, Any] = {"pipelineObjects": objects}
    if definition.parameters:
        out["parameterObjects"] = [
            {
                "id": p.id,
                "attributes": [
                    {"key": a.key, "stringValue": _attribute_text(p.id, a.key, v, reveal_secrets)}
                    for a in (sorted(p.attributes, key=lambda a: a.key) if sort else p.attributes)
                    for v in a.values
                ],
            }
            for p in definition.parameters
        ]
    if definition.values:
        out["parameterValues"] = [
            {"id": f.key, "stringValue": _text(f.key, v, reveal_secrets)}
            for f in definition.values
            for v in f.values
        ]
    return out


def to_cli(definition: RawDefinition, reveal_secrets: bool = False) -> dict[str, Any]:
    """A definition in the CLI file format (``objects``, ``parameters``, ``values``)."""
    objects = []
    for obj in definition.objects:
        current: dict[str, Any] = {"id": obj.id, "name": obj.name or obj.id}
        for f in obj.fields:
            current[f.key] = _cli_value(f, reveal_secrets)
        objects.append(current)
    out: dict[str, Any] = {"objects": objects}
    if definition.parameters:
        out["parameters"] = [
            {"id": p.id, **{a.key: _attribute_value(p.id, a, reveal_secrets) for a in p.attributes}}
            for p in definition.parameters
        ]
    if definition.values:
        out["values"] = {f.key: _cli_value(f, reveal_secrets) for f in definition.values}
    return out


def merged(definition: RawDefinition) -> RawDefinition:
    """The definition with its supplied values (files, command line) written into ``values``."""
    fields = {f.key: f for f in definition.values}
    for layer in definition.supplied:
        fields.update({f.key: f for f in layer.values})
    return replace(definition, values=tuple(fields.values()), supplied=())


def _attribute_value(parameter_id: str, attribute: RawField, reveal: bool) -> Any:
    """A parameter attribute; a secret parameter's ``default`` is a secret value too."""
    secret = parameter_id.startswith("*") and attribute.key == "default" and not reveal
    return _cli_value(replace(attribute, key="*default") if secret else attribute, not secret)


def _attribute_text(parameter_id: str, key: str, value: RawValue, reveal: bool) -> str:
    secret = parameter_id.startswith("*") and key == "default" and not reveal
    return _text("*" if secret else key, value, not secret)


def _api_field(key: str, value: RawValue, reveal: bool) -> dict[str, str]:
    if value.ref is not None:
        return {"key": key, "refValue": value.ref}
    return {"key": key, "stringValue": _text(key, value, reveal)}


def _cli_value(f: RawField, reveal: bool) -> Any:
    values = [{"ref": v.ref} if v.ref is not None else _text(f.key, v, reveal) for v in f.values]
    return values[0] if len(values) == 1 else values


def _text(key: str, value: RawValue, reveal: bool) -> str:
    text = value.text or ""
    if key.startswith("*") and not reveal and "#{" not in text:
        return MASK
    return text

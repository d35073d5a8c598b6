"""The typed model's lookups: type name → model class, and each class's fields.

``OBJECT_TYPES`` comes from the registry (``registry.REGISTRY``); ``field_specs`` reads each
class's fields into the Data Pipeline names and slots validation uses.
"""

from __future__ import annotations

import enum
import functools
import types
import typing
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Union

from pydantic import BaseModel, ConfigDict, SecretStr

from dp_airflow.model.objects.base import ObjectModel
from dp_airflow.model.registry import REGISTRY
from dp_airflow.model.slots import Slot


class _ModelsOfTheRegistry(Mapping[str, type[ObjectModel]]):
    """Type name → model class, read from the registry at each lookup, so that an entry is the
    one place a type is added."""

    def __getitem__(self, name: str) -> type[ObjectModel]:
        return REGISTRY[name].model

    def __iter__(self) -> Iterator[str]:
        return iter(REGISTRY)

    def __len__(self) -> int:
        return len(REGISTRY)


OBJECT_TYPES: Mapping[str, type[ObjectModel]] = _ModelsOfTheRegistry()
"""Type name → model class: what validation dispatches on."""


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One field of a type: its Data Pipeline name, model attribute and slot."""

    name: str
    attribute: str
    slot: Slot
    required: bool


_NOT_FIELDS = frozenset({"id", "name", "type", "user_fields"})


@functools.cache
def field_specs(cls: type[ObjectModel]) -> Mapping[str, FieldSpec]:
    """Data Pipeline field name → spec, for every field of ``cls``."""
    out: dict[str, FieldSpec] = {}
    for attribute, info in cls.model_fields.items():
        if attribute in _NOT_FIELDS:
            continue
        slot = _find_slot(info.annotation, info.metadata)
        if slot is None:
            continue
        # Pydantic before 2.12 leaves ``alias`` unset until a deferred model is built.
        name = info.alias or _alias(cls, attribute)
        out[name] = FieldSpec(name, attribute, slot, info.is_required())
    return out


def _alias(cls: type[ObjectModel], attribute: str) -> str:
    generator = cls.model_config.get("alias_generator")
    return generator(attribute) if callable(generator) else attribute


def _find_slot(annotation: object, metadata: list[Any]) -> Slot | None:
    for item in metadata:
        if isinstance(item, Slot):
            return item
    if typing.get_origin(annotation) is Annotated:
        return _find_slot(None, list(getattr(annotation, "__metadata__", ())))
    if typing.get_origin(annotation) in (Union, types.UnionType):
        for arm in typing.get_args(annotation):
            found = _find_slot(arm, [])
            if found is not None:
                return found
    return None


@functools.cache
def any_type_field_specs() -> Mapping[str, FieldSpec]:
    """Every known field name across all types (the first type declaring it gives the slot).

    Used for ``Default`` and untyped parent objects, whose fields apply to many types.
    """
    out: dict[str, FieldSpec] = {}
    for cls in OBJECT_TYPES.values():
        for name, spec in field_specs(cls).items():
            out.setdefault(name, spec)
    return out


def type_matches(cls: type[ObjectModel], targets: tuple[str, ...]) -> bool:
    """Whether an object of ``cls`` may be the target of a reference slot naming ``targets``."""
    if not targets:
        return True
    return cls.type_name() in targets or cls.category.value in targets


class ParameterType(enum.StrEnum):
    """The types a parameter may declare."""

    STRING = "String"
    INTEGER = "Integer"
    DOUBLE = "Double"
    S3_OBJECT_KEY = "AWS::S3::ObjectKey"


class Parameter(BaseModel):
    """A declared parameter; ``*``-prefixed ids are secrets."""

    model_config = ConfigDict(frozen=True)

    id: str
    type: ParameterType = ParameterType.STRING
    description: str | None = None
    optional: bool = False
    allowed_values: tuple[str, ...] = ()
    default: tuple[str, ...] | None = None
    is_array: bool = False
    watermark: str | None = None
    help_text: str | None = None
    help_link: str | None = None

    @property
    def is_secret(self) -> bool:
        return self.id.startswith("*")


ParameterValue = tuple[str | SecretStr, ...]


class Pipeline(BaseModel):
    """A validated definition: typed objects with inheritance applied, parameters and values."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    name: str | None = None
    objects: dict[str, ObjectModel]
    """Object id → instance of its type's class in ``OBJECT_TYPES``."""
    parameters: dict[str, Parameter] = {}
    values: dict[str, ParameterValue] = {}

"""The typed model: one frozen pydantic class per object type, a union on ``type``, a registry.

``OBJECT_TYPES`` is the explicit registry (a test checks it matches the union), and
``field_specs`` reads each class's fields into the Data Pipeline names and slots validation uses.
"""

from __future__ import annotations

import enum
import functools
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Union

from pydantic import BaseModel, ConfigDict, Field, SecretStr, TypeAdapter

from dp_airflow.definition.objects.actions import SnsAlarm, Terminate
from dp_airflow.definition.objects.activities import (
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
from dp_airflow.definition.objects.base import ObjectModel
from dp_airflow.definition.objects.data_nodes import (
    DynamoDBDataNode,
    MySqlDataNode,
    RedshiftDataNode,
    S3DataNode,
    SqlDataNode,
)
from dp_airflow.definition.objects.databases import JdbcDatabase, RdsDatabase, RedshiftDatabase
from dp_airflow.definition.objects.formats import (
    CSV,
    TSV,
    Custom,
    DynamoDBDataFormat,
    DynamoDBExportDataFormat,
    RegEx,
)
from dp_airflow.definition.objects.preconditions import (
    DynamoDBDataExists,
    DynamoDBTableExists,
    Exists,
    S3KeyExists,
    S3PrefixNotEmpty,
    ShellCommandPrecondition,
)
from dp_airflow.definition.objects.resources import Ec2Resource, EmrCluster
from dp_airflow.definition.objects.schedules import Schedule
from dp_airflow.definition.objects.utilities import (
    EbsBlockDeviceConfig,
    EbsConfiguration,
    EmrConfiguration,
    HttpProxy,
    Property,
    ShellScriptConfig,
    VolumeSpecification,
)
from dp_airflow.definition.slots import Slot

PipelineObject = Annotated[
    Union[  # noqa: UP007 - a Union[...] subscription reads better over 43 lines
        Schedule,
        S3DataNode,
        SqlDataNode,
        MySqlDataNode,
        DynamoDBDataNode,
        RedshiftDataNode,
        CopyActivity,
        EmrActivity,
        HadoopActivity,
        HiveActivity,
        HiveCopyActivity,
        PigActivity,
        RedshiftCopyActivity,
        ShellCommandActivity,
        SqlActivity,
        Ec2Resource,
        EmrCluster,
        DynamoDBDataExists,
        DynamoDBTableExists,
        S3KeyExists,
        S3PrefixNotEmpty,
        Exists,
        ShellCommandPrecondition,
        JdbcDatabase,
        RdsDatabase,
        RedshiftDatabase,
        CSV,
        TSV,
        Custom,
        RegEx,
        DynamoDBDataFormat,
        DynamoDBExportDataFormat,
        SnsAlarm,
        Terminate,
        ShellScriptConfig,
        EmrConfiguration,
        Property,
        HttpProxy,
        EbsConfiguration,
        EbsBlockDeviceConfig,
        VolumeSpecification,
    ],
    Field(discriminator="type"),
]
"""Every Data Pipeline object type, told apart by its ``type`` field."""

OBJECT_TYPES: Mapping[str, type[ObjectModel]] = {
    cls.model_fields["type"].default: cls
    for cls in (
        Schedule,
        S3DataNode,
        SqlDataNode,
        MySqlDataNode,
        DynamoDBDataNode,
        RedshiftDataNode,
        CopyActivity,
        EmrActivity,
        HadoopActivity,
        HiveActivity,
        HiveCopyActivity,
        PigActivity,
        RedshiftCopyActivity,
        ShellCommandActivity,
        SqlActivity,
        Ec2Resource,
        EmrCluster,
        DynamoDBDataExists,
        DynamoDBTableExists,
        S3KeyExists,
        S3PrefixNotEmpty,
        Exists,
        ShellCommandPrecondition,
        JdbcDatabase,
        RdsDatabase,
        RedshiftDatabase,
        CSV,
        TSV,
        Custom,
        RegEx,
        DynamoDBDataFormat,
        DynamoDBExportDataFormat,
        SnsAlarm,
        Terminate,
        ShellScriptConfig,
        EmrConfiguration,
        Property,
        HttpProxy,
        EbsConfiguration,
        EbsBlockDeviceConfig,
        VolumeSpecification,
    )
}
"""Type name → model class: the registry every later stage dispatches on."""

DEFAULT_OBJECT_ID = "Default"
_OBJECT_ADAPTER: TypeAdapter[Any] | None = None


def object_adapter() -> TypeAdapter[Any]:
    """Built on first use: building the union's validator costs tens of milliseconds."""
    global _OBJECT_ADAPTER  # noqa: PLW0603 - a lazily built, immutable singleton
    if _OBJECT_ADAPTER is None:
        _OBJECT_ADAPTER = TypeAdapter(PipelineObject)
    return _OBJECT_ADAPTER


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
    type_name = cls.model_fields["type"].default
    return type_name in targets or cls.category.value in targets


class ParameterType(enum.StrEnum):
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
    objects: dict[str, Any]
    """Object id → instance of one of ``OBJECT_TYPES`` (a ``PipelineObject``)."""
    parameters: dict[str, Parameter] = {}
    values: dict[str, ParameterValue] = {}

"""The type registry: one complete entry per type of the reference, whose parts agree."""

from __future__ import annotations

import importlib

import pytest

from dp_airflow.model.object_types import OBJECT_TYPES, field_specs
from dp_airflow.model.registry import REGISTRY, Role, TypeEntry

# Section 2.0 of the Data Pipeline reference, plus the EBS helper objects seen in examples.
CATALOGUE = {
    "Schedule",
    "S3DataNode",
    "SqlDataNode",
    "MySqlDataNode",
    "DynamoDBDataNode",
    "RedshiftDataNode",
    "CopyActivity",
    "EmrActivity",
    "HadoopActivity",
    "HiveActivity",
    "HiveCopyActivity",
    "PigActivity",
    "RedshiftCopyActivity",
    "ShellCommandActivity",
    "SqlActivity",
    "Ec2Resource",
    "EmrCluster",
    "HttpProxy",
    "DynamoDBDataExists",
    "DynamoDBTableExists",
    "S3KeyExists",
    "S3PrefixNotEmpty",
    "Exists",
    "ShellCommandPrecondition",
    "JdbcDatabase",
    "RdsDatabase",
    "RedshiftDatabase",
    "CSV",
    "Custom",
    "DynamoDBDataFormat",
    "DynamoDBExportDataFormat",
    "RegEx",
    "TSV",
    "SnsAlarm",
    "Terminate",
    "ShellScriptConfig",
    "EmrConfiguration",
    "Property",
    "EbsConfiguration",
    "EbsBlockDeviceConfig",
    "VolumeSpecification",
}


def test_registry_covers_the_reference_catalogue() -> None:
    assert set(OBJECT_TYPES) == CATALOGUE


def test_every_field_has_a_slot_and_a_data_pipeline_name() -> None:
    for cls in OBJECT_TYPES.values():
        specs = field_specs(cls)
        declared = set(cls.model_fields) - {"id", "name", "type", "user_fields"}
        assert {s.attribute for s in specs.values()} == declared, cls.__name__


def test_reference_field_names_are_spelled_as_data_pipeline_spells_them() -> None:
    from dp_airflow.model.objects.databases import RdsDatabase
    from dp_airflow.model.objects.utilities import VolumeSpecification

    assert "sizeInGB" in field_specs(VolumeSpecification)
    assert "*password" in field_specs(RdsDatabase)
    assert "rdsInstanceId" in field_specs(RdsDatabase)


def test_mapping_doc_is_generated_from_the_current_model() -> None:
    from pathlib import Path

    from dp_airflow.model.mapping_doc import render_markdown

    doc = Path(__file__).parents[2] / "docs" / "mapping.md"
    assert doc.read_text() == render_markdown(), (
        "run: python -m dp_airflow.model.mapping_doc > docs/mapping.md"
    )


def _class(entry: TypeEntry) -> type:
    module, name = (entry.operator or "").rsplit(".", 1)
    found: type = getattr(importlib.import_module(module), name)
    return found


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_every_entry_is_complete(name: str) -> None:
    """Its model is the type's; a type that becomes tasks names an operator or sensor with a
    predictable name that takes its plan arguments; its fields are the model's."""
    from airflow.sdk import BaseOperator

    from dp_airflow.operators.base import EvaluatedFields

    entry = REGISTRY[name]
    assert entry.name == name
    fields = field_specs(entry.model)
    assert set(entry.task_fields) <= set(fields), "task fields the model does not have"
    assert set(entry.field_use) <= set(fields), "a treatment of a field the model does not have"
    if entry.role is Role.SETTINGS:
        assert entry.operator is None and entry.model.category.value != "Activity"
        return
    assert entry.becomes, "docs/mapping.md needs what it becomes"
    if entry.role is Role.ACTION:
        if entry.operator:
            assert entry.operator_name == f"{name}Notifier"
            _class(entry)
        return
    operator = _class(entry)
    assert issubclass(operator, BaseOperator) and issubclass(operator, EvaluatedFields)
    expected = {
        Role.ACTIVITY: f"{name}Operator",
        Role.CLUSTER: f"{name}Operator",
        Role.PRECONDITION: f"{name}Sensor",
        Role.EMR_STEPS: "EmrStepsOperator",
    }[entry.role]
    assert operator.__name__ == expected
    every_field = {f: "x" for f in entry.task_fields} | {"inputs": [], "outputs": []}
    assert isinstance(operator.plan_arguments(every_field), dict)


def test_activities_and_preconditions_all_become_tasks() -> None:
    from dp_airflow.model.objects.base import Category

    for name, entry in REGISTRY.items():
        if entry.model.category in (Category.ACTIVITY, Category.PRECONDITION):
            assert entry.operator, f"{name} has no operator"


def test_every_field_of_every_type_says_what_dp_airflow_does() -> None:
    from dp_airflow.model.registry import field_use

    missing = [
        f"{name}.{field}"
        for name, cls in OBJECT_TYPES.items()
        for field in field_specs(cls)
        if field != "parent" and not field_use(name, field)
    ]
    assert missing == []

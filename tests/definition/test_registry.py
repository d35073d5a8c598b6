"""The type registry, the union and the reference's catalogue agree."""

from __future__ import annotations

import typing

from dp_airflow.definition.model import OBJECT_TYPES, PipelineObject, field_specs

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


def test_registry_matches_the_union() -> None:
    union = typing.get_args(typing.get_args(PipelineObject)[0])
    assert set(OBJECT_TYPES.values()) == set(union)


def test_registry_covers_the_reference_catalogue() -> None:
    assert set(OBJECT_TYPES) == CATALOGUE


def test_every_field_has_a_slot_and_a_data_pipeline_name() -> None:
    for cls in OBJECT_TYPES.values():
        specs = field_specs(cls)
        declared = set(cls.model_fields) - {"id", "name", "type", "user_fields"}
        assert {s.attribute for s in specs.values()} == declared, cls.__name__


def test_reference_field_names_are_spelled_as_data_pipeline_spells_them() -> None:
    from dp_airflow.definition.objects.databases import RdsDatabase
    from dp_airflow.definition.objects.utilities import VolumeSpecification

    assert "sizeInGB" in field_specs(VolumeSpecification)
    assert "*password" in field_specs(RdsDatabase)
    assert "rdsInstanceId" in field_specs(RdsDatabase)


def test_mapping_doc_is_generated_from_the_current_model() -> None:
    from pathlib import Path

    from dp_airflow.definition.catalog import render_markdown

    doc = Path(__file__).parents[2] / "docs" / "mapping.md"
    assert doc.read_text() == render_markdown(), (
        "run: python -m dp_airflow.definition.catalog > docs/mapping.md"
    )


def test_mapping_doc_names_exactly_the_rendered_operators() -> None:
    from dp_airflow.definition.catalog import OPERATORS
    from dp_airflow.translate.plan import (
        CLUSTER_KIND,
        CLUSTER_TEARDOWN_KIND,
        SUPPORTED_ACTIVITIES,
        SUPPORTED_PRECONDITIONS,
    )
    from dp_airflow.translate.render import OPERATORS as RENDERED

    assert set(OPERATORS) == SUPPORTED_ACTIVITIES | SUPPORTED_PRECONDITIONS
    extra = {"Unsupported", CLUSTER_KIND, CLUSTER_TEARDOWN_KIND}
    assert set(RENDERED) == SUPPORTED_ACTIVITIES | SUPPORTED_PRECONDITIONS | extra


def test_every_field_of_every_type_says_what_dp_airflow_does() -> None:
    from dp_airflow.definition.field_use import field_use
    from dp_airflow.definition.model import OBJECT_TYPES, field_specs

    missing = [
        f"{name}.{field}"
        for name, cls in OBJECT_TYPES.items()
        for field in field_specs(cls)
        if field != "parent" and not field_use(name, field)
    ]
    assert missing == []

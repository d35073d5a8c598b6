"""Configuration objects referenced by other objects."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field

from dp_airflow.model.objects.base import (
    Boolean,
    Category,
    Integer,
    ObjectModel,
    Ref,
    Secret,
    Text,
    TextList,
    ref,
)


class Utility(ObjectModel):
    """Settings objects read by the object that refers to them."""

    category: ClassVar[Category] = Category.UTILITY


class ShellScriptConfig(Utility):
    """A script, with arguments, run before or after an EMR activity."""

    type: Literal["ShellScriptConfig"] = "ShellScriptConfig"
    script_uri: Text
    script_argument: TextList = ()


class EmrConfiguration(Utility):
    """One entry of EMR's ``Configurations`` (EMR 4 and later)."""

    type: Literal["EmrConfiguration"] = "EmrConfiguration"
    classification: Text
    property: Annotated[tuple[Ref, ...], ref("Property", multi=True)] = ()
    configuration: Annotated[tuple[Ref, ...], ref("EmrConfiguration", multi=True)] = ()


class Property(Utility):
    """One key and value of an EmrConfiguration."""

    type: Literal["Property"] = "Property"
    key: Text
    value: Text


class HttpProxy(Utility):
    """An HTTP proxy for Task Runner's requests."""

    type: Literal["HttpProxy"] = "HttpProxy"
    hostname: Text
    port: Text
    username: Text | None = None
    password: Secret | None = Field(None, alias="*password")
    windows_domain: Text | None = None
    windows_workgroup: Text | None = None
    s3_no_proxy: Boolean | None = None


class EbsConfiguration(Utility):
    """EBS volumes of an EMR instance group."""

    type: Literal["EbsConfiguration"] = "EbsConfiguration"
    ebs_optimized: Boolean | None = None
    ebs_block_device_config: Annotated[
        tuple[Ref, ...], ref("EbsBlockDeviceConfig", multi=True)
    ] = ()


class EbsBlockDeviceConfig(Utility):
    """EBS volumes of one specification, and how many per instance."""

    type: Literal["EbsBlockDeviceConfig"] = "EbsBlockDeviceConfig"
    volumes_per_instance: Integer | None = None
    volume_specification: Annotated[Ref | None, ref("VolumeSpecification")] = None


class VolumeSpecification(Utility):
    """One EBS volume: type, IOPS and size."""

    type: Literal["VolumeSpecification"] = "VolumeSpecification"
    volume_type: Text | None = None
    iops: Integer | None = None
    size_in_gb: Integer | None = Field(None, alias="sizeInGB")

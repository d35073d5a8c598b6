"""An EmrCluster's evaluated fields as an EMR ``RunJobFlow`` request.

Choices where Data Pipeline's defaults no longer exist: retired instance types become
``m5.xlarge``; ``amiVersion`` without ``releaseLabel`` becomes ``emr-6.15.0``; the default roles
are Data Pipeline's (``DataPipelineDefaultRole`` / ``DataPipelineDefaultResourceRole``). The cluster
stays up between steps (``KeepJobFlowAliveWhenNoSteps``) until the pipeline's teardown task ends it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from dp_airflow.model.objects.resources import DEFAULT_INSTANCE_TYPE, retired_instance_type

DEFAULT_RELEASE = "emr-6.15.0"
DEFAULT_SERVICE_ROLE = "DataPipelineDefaultRole"
DEFAULT_RESOURCE_ROLE = "DataPipelineDefaultResourceRole"

Fields = Mapping[str, Sequence[str]]
"""Field name → evaluated values (multi-valued fields keep every value)."""


def _one(fields: Fields, name: str) -> str | None:
    values = fields.get(name) or ()
    return values[0].strip() if values and values[0].strip() else None


def _instance_type(fields: Fields, name: str) -> str:
    value = _one(fields, name) or DEFAULT_INSTANCE_TYPE
    return DEFAULT_INSTANCE_TYPE if retired_instance_type(value) else value


def split_escaped(text: str) -> list[str]:
    """Comma-separated parts where ``\\,`` is a literal comma (steps, bootstrap actions)."""
    parts, current, i = [], [], 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text) and text[i + 1] == ",":
            current.append(",")
            i += 2
            continue
        if text[i] == ",":
            parts.append("".join(current))
            current = []
        else:
            current.append(text[i])
        i += 1
    parts.append("".join(current))
    return [p.strip() for p in parts]


def _group(
    fields: Fields, role: str, type_field: str, count: int, bid_field: str
) -> dict[str, Any]:
    group: dict[str, Any] = {
        "Name": role.capitalize(),
        "InstanceRole": role,
        "InstanceType": _instance_type(fields, type_field),
        "InstanceCount": count,
        "Market": "ON_DEMAND",
    }
    if bid := _one(fields, bid_field):
        group.update(Market="SPOT", BidPrice=bid)
    return group


def job_flow_request(
    name: str,
    fields: Fields,
    configurations: Sequence[Mapping[str, Any]] = (),
    log_uri: str | None = None,
) -> dict[str, Any]:
    """The RunJobFlow request for an EmrCluster with evaluated ``fields``."""
    core_count = int(_one(fields, "coreInstanceCount") or "1")
    task_count = int(_one(fields, "taskInstanceCount") or "0")
    groups = [_group(fields, "MASTER", "masterInstanceType", 1, "masterInstanceBidPrice")]
    if core_count > 0:
        groups.append(
            _group(fields, "CORE", "coreInstanceType", core_count, "coreInstanceBidPrice")
        )
    if task_count > 0:
        groups.append(
            _group(fields, "TASK", "taskInstanceType", task_count, "taskInstanceBidPrice")
        )
    instances: dict[str, Any] = {
        "InstanceGroups": groups,
        "KeepJobFlowAliveWhenNoSteps": True,
        "TerminationProtected": False,
    }
    optional = {
        "Ec2SubnetId": "subnetId",
        "Ec2KeyName": "keyPair",
        "EmrManagedMasterSecurityGroup": "emrManagedMasterSecurityGroupId",
        "EmrManagedSlaveSecurityGroup": "emrManagedSlaveSecurityGroupId",
        "ServiceAccessSecurityGroup": "serviceAccessSecurityGroupId",
    }
    for key, field in optional.items():
        if value := _one(fields, field) or (
            _one(fields, "keypair") if field == "keyPair" else None
        ):
            instances[key] = value
    for key, field in (
        ("AdditionalMasterSecurityGroups", "additionalMasterSecurityGroupIds"),
        ("AdditionalSlaveSecurityGroups", "additionalSlaveSecurityGroupIds"),
    ):
        if values := [v for v in fields.get(field, ()) if v.strip()]:
            instances[key] = list(values)
    if zone := _one(fields, "availabilityZone"):
        instances["Placement"] = {"AvailabilityZone": zone}
    request: dict[str, Any] = {
        "Name": name,
        "ReleaseLabel": _one(fields, "releaseLabel") or DEFAULT_RELEASE,
        "Instances": instances,
        "JobFlowRole": _one(fields, "resourceRole") or DEFAULT_RESOURCE_ROLE,
        "ServiceRole": _one(fields, "role") or DEFAULT_SERVICE_ROLE,
        "VisibleToAllUsers": True,
        "Tags": [{"Key": "dp-airflow:object", "Value": name}],
    }
    applications = [a for a in fields.get("applications", ()) if a.strip()]
    if applications:
        request["Applications"] = [_application(a) for a in applications]
    bootstrap = [b for b in fields.get("bootstrapAction", ()) if b.strip()]
    if bootstrap:
        request["BootstrapActions"] = [
            {
                "Name": f"bootstrap-{index}",
                "ScriptBootstrapAction": {"Path": parts[0], "Args": parts[1:]},
            }
            for index, parts in enumerate((split_escaped(b) for b in bootstrap), start=1)
        ]
    if configurations:
        request["Configurations"] = [dict(c) for c in configurations]
    if log_uri := log_uri or _one(fields, "emrLogUri"):
        request["LogUri"] = log_uri
    return request


def _application(text: str) -> dict[str, Any]:
    """``spark`` or ``Name,arg1,arg2`` (the older documented form) as an Application."""
    parts = split_escaped(text)
    name = parts[0]
    application: dict[str, Any] = {"Name": name[:1].upper() + name[1:]}
    if parts[1:]:
        application["Args"] = parts[1:]
    return application


def configuration(
    classification: str, properties: Mapping[str, str], nested: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """One EmrConfiguration object (with its Property objects) as an EMR Configuration."""
    out: dict[str, Any] = {"Classification": classification, "Properties": dict(properties)}
    if nested:
        out["Configurations"] = [dict(n) for n in nested]
    return out

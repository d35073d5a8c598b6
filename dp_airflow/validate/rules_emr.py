"""Resources: EmrCluster settings that EMR no longer accepts (warnings, since the definition still
reads), and what an Ec2Resource becomes (information).

Retired instance families (first-generation types EMR no longer launches) and ``amiVersion``
(EMR 3.x and earlier AMIs) are reported; the cluster request replaces them as
``docs/data-movement.md`` says.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dp_airflow.model.objects.resources import DEFAULT_INSTANCE_TYPE, retired_instance_type

if TYPE_CHECKING:
    from dp_airflow.validate.context import Context

INSTANCE_FIELDS = ("masterInstanceType", "coreInstanceType", "taskInstanceType")


def check(context: Context) -> None:
    """Warnings for EMR settings EMR no longer accepts; notes on Ec2Resources."""
    _ec2_resources(context)
    for obj in context.resolved.values():
        if obj.type != "EmrCluster":
            continue
        for name in INSTANCE_FIELDS:
            effective = obj.fields.get(name)
            text = obj.value_text(name)
            if effective is None or text is None or "#{" in text or not retired_instance_type(text):
                continue
            context.sink.warning(
                "emr-retired",
                f"EMR no longer launches {text} instances; the cluster will use "
                f"{DEFAULT_INSTANCE_TYPE} instead (set a current type to choose)",
                object_id=obj.id,
                field=name,
                location=effective.field.location,
            )
        ami = obj.fields.get("amiVersion")
        if ami is not None and "releaseLabel" not in obj.fields:  # both: already an error
            context.sink.warning(
                "emr-retired",
                f"amiVersion {obj.value_text('amiVersion')!r} selects an EMR 3.x-or-older AMI, "
                "which EMR no longer launches; the cluster will use the release in "
                "releaseLabel, else emr-6.15.0",
                object_id=obj.id,
                field="amiVersion",
                location=ami.field.location,
            )


def _ec2_resources(context: Context) -> None:
    """Once per Ec2Resource: no instance is launched; its activities run on Airflow workers."""
    users: dict[str, list[str]] = {}
    for obj in context.resolved.values():
        for target in obj.ref_ids("runsOn"):
            if target != obj.id:
                users.setdefault(target, []).append(obj.id)
    for obj in context.resolved.values():
        if obj.type != "Ec2Resource":
            continue
        activities = ", ".join(sorted(users.get(obj.id, ())))
        limit = obj.value_text("terminateAfter")
        bound = f"; terminateAfter {limit!r} bounds each one's run time" if limit else ""
        where = (
            f"the activities that run on it ({activities}) run on Airflow workers, in the "
            f"default queue{bound}"
            if activities
            else "no activity runs on it"
        )
        context.sink.info(
            "ec2-resource",
            f"no EC2 instance is launched: {where}",
            object_id=obj.id,
            location=obj.raw.location,
        )

"""Fields that validate but take no effect when dp-airflow runs the pipeline: one ``info`` line
each, with the reason (docs/mapping.md's last column), so nothing is silently ignored.

Reported once where the field is written (a field on Default is reported on Default). Fields of
an Ec2Resource are covered by its own ``ec2-resource`` line.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dp_airflow.model.registry import field_use

if TYPE_CHECKING:
    from dp_airflow.validate.context import Context

_IGNORED = "validated; "


def check(context: Context) -> None:
    """Warnings for fields that have no effect in Airflow."""
    seen: set[tuple[str, str]] = set()
    for obj, _ in context.typed():
        if obj.type == "Ec2Resource":
            continue
        for key, effective in obj.fields.items():
            use = field_use(obj.type or "", key)
            if use is None or not use.startswith(_IGNORED):
                continue
            if (effective.origin, key) in seen:
                continue
            seen.add((effective.origin, key))
            reason = use.removeprefix(_IGNORED)
            context.sink.info(
                "no-effect",
                f"{key!r} has no effect when dp-airflow runs the pipeline"
                + (
                    " (Airflow has no counterpart)"
                    if reason.startswith("no effect")
                    else f": {reason}"
                ),
                object_id=effective.origin,
                field=key,
                location=effective.field.location,
            )

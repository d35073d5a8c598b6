"""Schedule rules: start and end forms, period bounds, on-demand pipelines, missing schedules."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dp_airflow.model.objects.base import Category
from dp_airflow.model.slots import (
    ONDEMAND_PERIOD,
    LiteralError,
    Period,
    PeriodUnit,
    has_expression,
    parse_datetime,
    parse_period,
)
from dp_airflow.read.raw import DEFAULT_OBJECT_ID

if TYPE_CHECKING:
    from dp_airflow.resolve.inheritance import ResolvedObject
    from dp_airflow.validate.context import Context

MIN_PERIOD = Period(15, PeriodUnit.MINUTES)
MAX_PERIOD = Period(3, PeriodUnit.YEARS)
_RUNNABLE = (Category.ACTIVITY, Category.DATA_NODE, Category.RESOURCE)


def pipeline_is_ondemand(context: Context) -> bool:
    """Whether ``Default`` sets ``scheduleType`` to ondemand."""
    default = context.resolved.get(DEFAULT_OBJECT_ID)
    value = default.value_text("scheduleType") if default else None
    return value is not None and value.strip().lower() == "ondemand"


def check(context: Context) -> None:
    """Schedules, and the schedule and schedule type of every scheduled object."""
    ondemand = pipeline_is_ondemand(context)
    for obj, cls in context.typed():
        if cls.category is Category.SCHEDULE:
            _check_schedule(context, obj, ondemand)
    _check_schedule_types(context, ondemand)
    if not ondemand:
        _check_missing_schedules(context)


def _check_schedule(context: Context, obj: ResolvedObject, ondemand: bool) -> None:
    sink = context.sink
    period_text = obj.value_text("period")
    if period_text is not None and not has_expression(period_text):
        where = {
            "object_id": obj.id,
            "field": "period",
            "location": obj.fields["period"].field.value.location,
        }
        if period_text == ONDEMAND_PERIOD:
            if not ondemand:
                sink.error(
                    "ondemand-period",
                    "ONDEMAND_PERIOD is only for on-demand pipelines "
                    "(scheduleType 'ondemand' on Default)",
                    **where,
                )
        else:
            try:
                period = parse_period(period_text)
            except LiteralError:
                pass  # reported by the field check
            else:
                if period.approximate_minutes() < MIN_PERIOD.approximate_minutes():
                    sink.error(
                        "period-range",
                        f"period {period} is shorter than the minimum of 15 minutes",
                        **where,
                    )
                elif period.approximate_minutes() > MAX_PERIOD.approximate_minutes():
                    sink.error(
                        "period-range",
                        f"period {period} is longer than the maximum of 3 years",
                        **where,
                    )
    start, end = obj.value_text("startDateTime"), obj.value_text("endDateTime")
    if start and end and not has_expression(start + end):
        try:
            if parse_datetime(end) <= parse_datetime(start):
                sink.error(
                    "schedule-end",
                    f"endDateTime {end} must be after startDateTime {start}",
                    object_id=obj.id,
                    field="endDateTime",
                    location=obj.fields["endDateTime"].field.value.location,
                )
        except LiteralError:
            pass  # reported by the field check
    if ondemand and obj.id in _schedule_users(context):
        sink.warning(
            "ondemand-schedule",
            "on-demand pipelines run once per activation; this Schedule is ignored",
            object_id=obj.id,
            location=obj.raw.location,
        )


def _schedule_users(context: Context) -> set[str]:
    return {target for o in context.resolved.values() for target in o.ref_ids("schedule")}


def _check_schedule_types(context: Context, ondemand: bool) -> None:
    for obj in context.objects.values():
        f = obj.get("scheduleType")
        if f is None or not f.values or f.value.text is None:
            continue
        value = f.value.text.strip().lower()
        if value == "ondemand" and obj.id != DEFAULT_OBJECT_ID:
            context.sink.error(
                "ondemand-not-default",
                "scheduleType 'ondemand' must be set on the Default object only",
                object_id=obj.id,
                field="scheduleType",
                location=f.value.location,
            )
        elif ondemand and obj.id != DEFAULT_OBJECT_ID and value in ("cron", "timeseries"):
            context.sink.error(
                "ondemand-mixed",
                f"scheduleType {f.value.text!r} cannot be mixed with an on-demand pipeline",
                object_id=obj.id,
                field="scheduleType",
                location=f.value.location,
            )


def _check_missing_schedules(context: Context) -> None:
    for obj, cls in context.typed():
        if cls.category in _RUNNABLE and "schedule" not in obj.fields:
            context.sink.error(
                "missing-schedule",
                f"{obj.type} needs a 'schedule' (on the object, a parent or Default) unless the "
                "pipeline is on-demand",
                object_id=obj.id,
                location=obj.raw.location,
            )

"""The schedules of a pipeline, read from a validated definition (no Airflow here).

Each runnable object (activity or data node) runs on its own schedule and ``scheduleType``.
The pipeline's DAG runs at the union of those run times; every task works out its own instance
from its own schedule (``ScheduleSpec.instance_running_at``) and runs only at its boundaries.
Schedule fields may hold parameter expressions (``#{myPeriod}``); they are evaluated here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from dp_airflow.errors import DpAirflowError
from dp_airflow.model.slots import (
    ONDEMAND_PERIOD,
    LiteralError,
    parse_datetime,
    parse_integer,
    parse_period,
)
from dp_airflow.read.raw import DEFAULT_OBJECT_ID, RawParameter
from dp_airflow.resolve.inheritance import ResolvedObject
from dp_airflow.schedule.model import RunAt, ScheduleSpec

FIRST_ACTIVATION = "FIRST_ACTIVATION_DATE_TIME"
DEFAULT_SCHEDULE_TYPE = RunAt.END
"""The guide states no default; its older editions and most samples imply ``timeseries``."""


class ScheduleError(DpAirflowError):
    """A schedule cannot be computed (the validator reports the same problems with places)."""


@dataclass(frozen=True, slots=True)
class NamedSchedule:
    """A Schedule object with the scheduleType an object uses it with."""

    schedule_id: str
    spec: ScheduleSpec
    first_activation: bool = False
    """``startAt: FIRST_ACTIVATION_DATE_TIME``: ``spec.start`` is a placeholder."""

    @property
    def key(self) -> str:
        return f"{self.schedule_id}:{self.spec.run_at.value}"


@dataclass(frozen=True)
class PipelineSchedule:
    """Every schedule the pipeline's runnable objects use, finest first."""

    schedules: tuple[NamedSchedule, ...] = ()
    by_object: Mapping[str, str] = field(default_factory=dict)
    """Object id → key of its schedule."""
    ondemand: bool = False
    max_active_instances: int | None = None

    def for_object(self, object_id: str) -> NamedSchedule | None:
        key = self.by_object.get(object_id)
        return next((s for s in self.schedules if s.key == key), None)


def pipeline_schedule(
    objects: Mapping[str, ResolvedObject],
    parameters: Mapping[str, RawParameter] | None = None,
    values: Mapping[str, tuple[str, ...]] | None = None,
    pipeline_id: str = "df-dp-airflow",
) -> PipelineSchedule:
    """``pipeline_id`` (the DAG id) names the Airflow Variable in a missing value's message."""
    # Imported here, at translation: a task that only reads a built schedule (the runtime, a
    # DAG processor's parse) need not pay for the typed model's pydantic classes.
    from dp_airflow.model.object_types import OBJECT_TYPES
    from dp_airflow.model.objects.base import Category

    evaluate = _Evaluator(objects, parameters or {}, values or {}, pipeline_id)
    default = objects.get(DEFAULT_OBJECT_ID)
    default_type = (default.value_text("scheduleType") or "") if default else ""
    max_active = _max_active(default, evaluate)
    if default_type.strip().lower() == "ondemand":
        return PipelineSchedule(ondemand=True, max_active_instances=max_active)
    found: dict[str, NamedSchedule] = {}
    by_object: dict[str, str] = {}
    for obj in objects.values():
        cls = OBJECT_TYPES.get(obj.type or "")
        if cls is None or cls.category not in (Category.ACTIVITY, Category.DATA_NODE):
            continue
        schedule_ids = obj.ref_ids("schedule")
        if not schedule_ids or schedule_ids[0] not in objects:
            continue
        run_at = _run_at(obj.value_text("scheduleType"), evaluate)
        named = _named(objects[schedule_ids[0]], run_at, evaluate)
        found.setdefault(named.key, named)
        by_object[obj.id] = named.key
    ordered = sorted(found.values(), key=lambda s: (s.spec.period.approximate_minutes(), s.key))
    return PipelineSchedule(tuple(ordered), by_object, max_active_instances=max_active)


def object_schedule(
    obj: ResolvedObject,
    objects: Mapping[str, ResolvedObject],
    parameters: Mapping[str, RawParameter] | None = None,
    values: Mapping[str, tuple[str, ...]] | None = None,
) -> NamedSchedule:
    """The schedule ``obj`` uses (a Schedule object stands for itself, run at its start)."""
    evaluate = _Evaluator(objects, parameters or {}, values or {})
    if obj.type == "Schedule":
        return _named(obj, RunAt.START, evaluate)
    schedule_ids = obj.ref_ids("schedule")
    if not schedule_ids or schedule_ids[0] not in objects:
        raise ScheduleError(f"object {obj.id!r} has no schedule")
    return _named(
        objects[schedule_ids[0]], _run_at(obj.value_text("scheduleType"), evaluate), evaluate
    )


class _Evaluator:
    """Schedule fields evaluated with parameters only (no run exists yet)."""

    def __init__(
        self,
        objects: Mapping[str, ResolvedObject],
        parameters: Mapping[str, RawParameter],
        values: Mapping[str, tuple[str, ...]],
        pipeline_id: str = "df-dp-airflow",
    ) -> None:
        from dp_airflow.expressions.scope import Environment

        self.env = Environment(
            objects, parameters, values, pipeline_id=pipeline_id, at_parse_time=True
        )

    def __call__(self, object_id: str, text: str | None) -> str | None:
        if text is None or "#{" not in text:
            return text
        from dp_airflow.expressions.errors import ExpressionAtError
        from dp_airflow.expressions.evaluate import render
        from dp_airflow.expressions.scope import InstanceScope, Interval

        scope = InstanceScope(self.env, object_id, Interval(datetime(1970, 1, 1, tzinfo=UTC)))
        try:
            result = render(text, scope)
        except ExpressionAtError as exc:
            raise ScheduleError(f"{object_id}: {exc.message}") from None
        return result if isinstance(result, str) else ",".join(result)


def _run_at(text: str | None, evaluate: _Evaluator) -> RunAt:
    value = (evaluate("", text) or "").strip().lower()
    if value == "cron":
        return RunAt.START
    if value == "timeseries":
        return RunAt.END
    return DEFAULT_SCHEDULE_TYPE


def _named(schedule: ResolvedObject, run_at: RunAt, evaluate: _Evaluator) -> NamedSchedule:
    def text(key: str) -> str | None:
        return evaluate(schedule.id, schedule.value_text(key))

    try:
        period_text = text("period")
        if not period_text or period_text == ONDEMAND_PERIOD:
            raise ScheduleError(f"schedule {schedule.id!r} has no period")
        period = parse_period(period_text)
        start_at = (text("startAt") or "").strip().upper()
        start_text = text("startDateTime")
        first_activation = start_at == FIRST_ACTIVATION
        if start_text:
            start = parse_datetime(start_text)
        elif first_activation:
            start = datetime(1970, 1, 1, tzinfo=UTC)  # replaced by the activation time
        else:
            raise ScheduleError(f"schedule {schedule.id!r} has no startDateTime")
        end_text, occurrences_text = text("endDateTime"), text("occurrences")
        end = parse_datetime(end_text) if end_text else None
        occurrences = parse_integer(occurrences_text) if occurrences_text else None
    except LiteralError as exc:
        raise ScheduleError(f"schedule {schedule.id!r}: {exc}") from None
    spec = ScheduleSpec(start, period, run_at, end, occurrences)
    return NamedSchedule(schedule.id, spec, first_activation)


def _max_active(default: ResolvedObject | None, evaluate: _Evaluator) -> int | None:
    text = (
        evaluate(DEFAULT_OBJECT_ID, default.value_text("maxActiveInstances")) if default else None
    )
    try:
        return parse_integer(text) if text else None
    except LiteralError:
        return None

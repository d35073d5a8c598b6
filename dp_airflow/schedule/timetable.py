"""The Airflow timetable for Data Pipeline schedules (registered by ``dp_airflow.plugin``).

Runs happen at the union of the pipeline's schedules' run times (``cron``: interval start,
``timeseries``: interval end). A run's data interval is ``[@scheduledStartTime,
@scheduledEndTime)`` of the finest schedule running at that time. All arithmetic is in
``ScheduleSpec``: constant time however far from the start.

``catchup`` (Airflow's restriction) decides backfill: with it, every missed instance runs, as Data
Pipeline does; without it, as Airflow's own cron timetables, only the latest instance already due
runs (once, if it has not), then each instance as it comes due.

``startAt: FIRST_ACTIVATION_DATE_TIME``: the schedule starts when Airflow first computes a run
for the DAG while it has none, i.e. at the DAG processor's first parse after the DAG appears (in
practice within one parse interval of unpausing, since the computation repeats until a run
exists). Later instances follow from the last run's interval.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pendulum
from airflow.timetables.base import DagRunInfo, DataInterval, TimeRestriction, Timetable

from dp_airflow.model.slots import parse_datetime, parse_period
from dp_airflow.schedule.model import Instance, RunAt, ScheduleSpec
from dp_airflow.schedule.pipeline import NamedSchedule, PipelineSchedule

_NO_PARTITION: dict[str, Any] = (
    {"partition_date": None, "partition_key": None}
    if "partition_key" in getattr(DagRunInfo, "_fields", ())
    else {}
)
"""Airflow 3.2 added these fields to DagRunInfo without defaults (3.3 gives them defaults)."""


def _aware(moment: datetime) -> pendulum.DateTime:
    return pendulum.instance(moment.astimezone(UTC))


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S") if moment else None


class DataPipelineTimetable(Timetable):
    """Data Pipeline's instances, for one schedule or the union of a pipeline's schedules."""

    def __init__(self, schedules: Sequence[NamedSchedule]) -> None:
        if not schedules:
            raise ValueError("a DataPipelineTimetable needs at least one schedule")
        self.schedules = tuple(schedules)
        lines = [f"{s.schedule_id}: {_describe(s)}" for s in self.schedules]
        if len(lines) > 1:
            lines.append("Runs at every schedule's run times; each task runs at its own.")
        self.description = "\n".join(lines)

    # -- serialization --------------------------------------------------------------------
    def serialize(self) -> dict[str, Any]:
        return {
            "schedules": [
                {
                    "id": s.schedule_id,
                    "start": None if s.first_activation else _iso(s.spec.start),
                    "period": str(s.spec.period),
                    "type": s.spec.run_at.value,
                    "end": _iso(s.spec.end),
                    "occurrences": s.spec.occurrences,
                }
                for s in self.schedules
            ]
        }

    @classmethod
    def deserialize(cls, data: dict[str, Any]) -> DataPipelineTimetable:
        schedules = []
        for item in data["schedules"]:
            first_activation = item["start"] is None
            start = (
                datetime(1970, 1, 1, tzinfo=UTC)
                if first_activation
                else parse_datetime(item["start"])
            )
            spec = ScheduleSpec(
                start,
                parse_period(item["period"]),
                RunAt(item["type"]),
                parse_datetime(item["end"]) if item["end"] else None,
                item["occurrences"],
            )
            schedules.append(NamedSchedule(item["id"], spec, first_activation))
        return cls(schedules)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DataPipelineTimetable) and self.schedules == other.schedules

    def __hash__(self) -> int:
        return hash(self.schedules)

    # -- presentation -----------------------------------------------------------------------
    @property
    def summary(self) -> str:
        return "; ".join(_describe(s) for s in self.schedules)

    # -- scheduling -------------------------------------------------------------------------
    def infer_manual_data_interval(self, *, run_after: pendulum.DateTime) -> DataInterval:
        primary = self.schedules[0]
        if primary.first_activation:
            spec = _anchored(primary.spec, run_after)
            instance = spec.instance(0)
        else:
            instance = primary.spec.instance_containing(run_after)
        if instance is None:
            return DataInterval.exact(run_after)
        return DataInterval(_aware(instance.scheduled_start), _aware(instance.scheduled_end))

    def next_dagrun_info(
        self,
        *,
        last_automated_data_interval: DataInterval | None,
        restriction: TimeRestriction,
    ) -> DagRunInfo | None:
        now = datetime.now(UTC)
        candidates: list[Instance] = []
        for named in self.schedules:
            instance = self._next_instance(named, last_automated_data_interval, restriction, now)
            if instance is not None:
                candidates.append(instance)
        if not candidates:
            return None
        chosen = min(candidates, key=lambda i: i.run_at)  # stable: finest schedule first
        if restriction.latest is not None and chosen.run_at > restriction.latest:
            return None
        return DagRunInfo(
            run_after=_aware(chosen.run_at),
            data_interval=DataInterval(
                _aware(chosen.scheduled_start), _aware(chosen.scheduled_end)
            ),
            **_NO_PARTITION,
        )

    def _next_instance(
        self,
        named: NamedSchedule,
        last: DataInterval | None,
        restriction: TimeRestriction,
        now: datetime,
    ) -> Instance | None:
        spec = named.spec
        if named.first_activation:
            return self._next_first_activation(named, last, now)
        lower = spec.start
        if restriction.earliest is not None:
            lower = max(lower, restriction.earliest)
        if last is not None:
            lower = max(lower, self._last_run_at(last) + timedelta(microseconds=1))
        if not restriction.catchup:
            # Airflow's catchup=False: older instances are skipped, but the latest one already
            # due still runs (once). Without it, an instance came due and not yet created by the
            # scheduler was skipped whenever the DAG processor re-parsed the file in between.
            due = spec.latest_due_at(now)
            lower = max(lower, due.run_at if due is not None else now.replace(microsecond=0))
        return spec.first_running_at_or_after(lower)

    def _last_run_at(self, last: DataInterval) -> datetime:
        for named in self.schedules:
            instance = named.spec.instance_containing(last.start)
            if (
                instance is not None
                and instance.scheduled_start == last.start
                and (instance.scheduled_end == last.end)
            ):
                return instance.run_at
        return last.end if self.schedules[0].spec.run_at is RunAt.END else last.start

    def _next_first_activation(
        self, named: NamedSchedule, last: DataInterval | None, now: datetime
    ) -> Instance | None:
        if last is None:
            return _anchored(named.spec, now.replace(second=0, microsecond=0)).instance(0)
        if named.spec.occurrences == 1:
            return None
        return _anchored(named.spec, last.start).instance(1)


def _anchored(spec: ScheduleSpec, start: datetime) -> ScheduleSpec:
    """A FIRST_ACTIVATION_DATE_TIME schedule once its start is known.

    Only one run is counted from the anchor, so ``occurrences`` above 1 cannot be honoured
    without run history; the translation report says so.
    """
    occurrences = 1 if spec.occurrences == 1 else None
    return ScheduleSpec(start.astimezone(UTC), spec.period, spec.run_at, spec.end, occurrences)


def _describe(named: NamedSchedule) -> str:
    spec = named.spec
    if named.first_activation:
        text = f"every {spec.period} from the first activation ({spec.run_at.value})"
        if spec.occurrences is not None:
            text += f", {spec.occurrences} run{'s' if spec.occurrences != 1 else ''}"
        return text
    return spec.describe()


def dag_schedule_arguments(schedule: PipelineSchedule, catchup: bool) -> dict[str, Any]:
    """The DAG arguments a pipeline's schedules become.

    On-demand: no schedule (runs only when triggered) and ``max_active_runs`` from
    ``maxActiveInstances`` on Default (Data Pipeline's default 1). Scheduled: the timetable and
    the catch-up setting, ``max_active_runs`` from ``maxActiveInstances`` on Default, else Data
    Pipeline's limit of 5 active instances per object (never Airflow's 16).
    """
    if schedule.ondemand:
        return {
            "schedule": None,
            "max_active_runs": schedule.max_active_instances or 1,
            "catchup": False,
        }
    arguments: dict[str, Any] = {
        "schedule": DataPipelineTimetable(schedule.schedules) if schedule.schedules else None,
        "catchup": catchup,
    }
    arguments["max_active_runs"] = schedule.max_active_instances or SCHEDULED_MAX_ACTIVE
    return arguments


SCHEDULED_MAX_ACTIVE = 5
"""Data Pipeline's limit table: 5 active instances per object (adjustable)."""

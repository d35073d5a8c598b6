"""Instances of a Data Pipeline schedule, computed in constant time.

An instance ``k`` covers ``[start + k·period, start + (k+1)·period)``. Calendar periods (months,
years) are anchored on the start, so month ends clamp per instance (Jan 31, Feb 28, Mar 31), never
drifting. ``cron`` instances run at the start of their interval, ``timeseries`` ones at the end.
Finding the instance at a time is arithmetic, not iteration, however far from the start.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from dp_airflow.expressions.datetimes import add_months
from dp_airflow.model.slots import Period, PeriodUnit

_FIXED = {
    PeriodUnit.MINUTES: timedelta(minutes=1),
    PeriodUnit.HOURS: timedelta(hours=1),
    PeriodUnit.DAYS: timedelta(days=1),
    PeriodUnit.WEEKS: timedelta(weeks=1),
}


class RunAt(enum.StrEnum):
    """When an instance runs: at the start (``cron``) or the end (``timeseries``)."""

    START = "cron"
    END = "timeseries"


@dataclass(frozen=True, slots=True)
class Instance:
    """One instance of a scheduled object: its period and when it runs."""

    index: int
    scheduled_start: datetime
    scheduled_end: datetime
    run_at: datetime

    def to_json(self) -> dict[str, str]:
        return {
            "scheduledStartTime": _text(self.scheduled_start),
            "scheduledEndTime": _text(self.scheduled_end),
            "runAt": _text(self.run_at),
        }


def _plain(moment: datetime) -> datetime:
    """A standard-library UTC datetime (Airflow hands us pendulum ones)."""
    utc = moment.astimezone(UTC)
    return datetime(
        utc.year, utc.month, utc.day, utc.hour, utc.minute, utc.second, utc.microsecond, tzinfo=UTC
    )


def _text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


@dataclass(frozen=True, slots=True)
class ScheduleSpec:
    """One schedule: a start, a period, an optional end or count, and when instances run."""

    start: datetime
    period: Period
    run_at: RunAt = RunAt.START
    end: datetime | None = None
    """Instances whose scheduled start is before this exist."""
    occurrences: int | None = None

    # -- arithmetic -----------------------------------------------------------------------
    def start_of(self, index: int) -> datetime:
        if self.period.unit in _FIXED:
            return self.start + _FIXED[self.period.unit] * (self.period.count * index)
        months = self.period.count * index * (12 if self.period.unit is PeriodUnit.YEARS else 1)
        return add_months(self.start, months)

    def index_at(self, moment: datetime) -> int:
        """The index of the interval holding ``moment`` (negative before the start)."""
        moment = _plain(moment)
        if self.period.unit in _FIXED:
            step = _FIXED[self.period.unit] * self.period.count
            return (moment - self.start) // step
        months_per = self.period.count * (12 if self.period.unit is PeriodUnit.YEARS else 1)
        months = (moment.year - self.start.year) * 12 + (moment.month - self.start.month)
        index = months // months_per
        # Month arithmetic is not uniform: settle within one step either way.
        while self.start_of(index) > moment:
            index -= 1
        while self.start_of(index + 1) <= moment:
            index += 1
        return index

    def count(self) -> int | None:
        """How many instances exist (None: unbounded)."""
        if self.occurrences is not None:
            return self.occurrences
        if self.end is None:
            return None
        if self.end <= self.start:
            return 0
        last = self.index_at(self.end)
        return last + 1 if self.start_of(last) < self.end else last

    def instance(self, index: int) -> Instance | None:
        total = self.count()
        if index < 0 or (total is not None and index >= total):
            return None
        start, end = self.start_of(index), self.start_of(index + 1)
        return Instance(index, start, end, start if self.run_at is RunAt.START else end)

    def first_running_at_or_after(self, moment: datetime) -> Instance | None:
        """The first instance whose run time is at or after ``moment``."""
        boundary = self._first_boundary_at_or_after(_plain(moment))
        return self.instance(max(0, self._index_running_at(boundary)))

    def latest_due_at(self, moment: datetime) -> Instance | None:
        """The instance whose run time is the latest at or before ``moment``; None before the
        first, or when that run time lies past the schedule's end (a finished schedule)."""
        return self.instance(self._index_running_at(self.index_at(_plain(moment))))

    def _index_running_at(self, boundary: int) -> int:
        # Instance i runs at boundary i (cron: its start) or i + 1 (timeseries: its end).
        return boundary if self.run_at is RunAt.START else boundary - 1

    def instance_running_at(self, moment: datetime) -> Instance | None:
        """The instance that runs exactly at ``moment``, if any (a task's boundary check)."""
        found = self.first_running_at_or_after(moment)
        return found if found is not None and found.run_at == _plain(moment) else None

    def instance_containing(self, moment: datetime) -> Instance | None:
        return self.instance(self.index_at(_plain(moment)))

    def _first_boundary_at_or_after(self, moment: datetime) -> int:
        """The smallest k with ``start_of(k) >= moment``."""
        index = self.index_at(moment)
        return index if self.start_of(index) == moment else index + 1

    def describe(self) -> str:
        when = f"from {self.start.strftime('%Y-%m-%dT%H:%M')}"
        limit = ""
        if self.occurrences is not None:
            limit = f", {self.occurrences} run{'s' if self.occurrences != 1 else ''}"
        elif self.end is not None:
            limit = f", until {self.end.strftime('%Y-%m-%dT%H:%M')}"
        return f"every {self.period} {when} ({self.run_at.value}){limit}"

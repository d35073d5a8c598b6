"""The timetable's cost far from the start: the 100,000th interval against the first.

Months are measured at the 7,000th interval (100,000 months pass the year 9999).

Run: ``AIRFLOW_HOME=$(mktemp -d) .venv/bin/python benchmarks/schedule.py``
"""

from __future__ import annotations

import timeit

import pendulum
from airflow.timetables.base import DataInterval, TimeRestriction

from dp_airflow.model.slots import Period, PeriodUnit, parse_datetime
from dp_airflow.schedule.model import RunAt, ScheduleSpec
from dp_airflow.schedule.pipeline import NamedSchedule
from dp_airflow.schedule.timetable import DataPipelineTimetable

RESTRICTION = TimeRestriction(earliest=None, latest=None, catchup=True)


def measure(unit: PeriodUnit, count: int, far_index: int) -> tuple[float, float]:
    spec = ScheduleSpec(parse_datetime("2000-01-31T00:00:00"), Period(count, unit), RunAt.START)
    timetable = DataPipelineTimetable([NamedSchedule("S", spec)])

    def interval(index: int) -> DataInterval:
        instance = spec.instance(index)
        assert instance is not None
        return DataInterval(
            pendulum.instance(instance.scheduled_start), pendulum.instance(instance.scheduled_end)
        )

    first, far = interval(0), interval(far_index - 1)

    def call(last: DataInterval) -> float:
        number = 2000
        seconds = min(
            timeit.repeat(
                lambda: timetable.next_dagrun_info(
                    last_automated_data_interval=last, restriction=RESTRICTION
                ),
                repeat=5,
                number=number,
            )
        )
        return seconds / number

    return call(first), call(far)


if __name__ == "__main__":
    print("| period | next run after the 1st interval | after the Nth | N | ratio |")
    print("|---|---|---|---|---|")
    # 100,000 months would pass the year 9999, so months are measured at the 7,000th.
    rows = (
        (PeriodUnit.MINUTES, 15, 100_000),
        (PeriodUnit.DAYS, 1, 100_000),
        (PeriodUnit.WEEKS, 1, 100_000),
        (PeriodUnit.MONTHS, 1, 7_000),
    )
    for unit, count, far_index in rows:
        near, far = measure(unit, count, far_index)
        print(
            f"| {count} {unit.value} | {near * 1e6:.1f} µs | {far * 1e6:.1f} µs | "
            f"{far_index:,} | {far / near:.2f} |"
        )

"""Schedule instances from the data cases in schedule_cases.json, via the DAG's timetable."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pendulum
import pytest
from airflow.timetables.base import DataInterval, TimeRestriction
from hypothesis import given, settings
from hypothesis import strategies as st

from dp_airflow.diagnostics import DiagnosticSink
from dp_airflow.model.slots import Period, PeriodUnit, parse_datetime
from dp_airflow.read.readers import read_text
from dp_airflow.schedule.model import RunAt, ScheduleSpec
from dp_airflow.schedule.pipeline import NamedSchedule, object_schedule
from dp_airflow.schedule.timetable import DataPipelineTimetable
from dp_airflow.validate.validation import validate_definition

CASES = json.loads((Path(__file__).parent / "schedule_cases.json").read_text())


def _named(case: dict) -> NamedSchedule:
    activity = {
        "id": "A",
        "type": "ShellCommandActivity",
        "command": "x",
        "workerGroup": "w",
        "schedule": {"ref": "S"},
    }
    if case["type"]:
        activity["scheduleType"] = case["type"]
    document = {
        "objects": [{"id": "S", "type": "Schedule", **case["schedule"]}, activity],
        "parameters": case.get("parameters", []),
    }
    definition = read_text(json.dumps(document)).definitions[0]
    context = validate_definition(definition, DiagnosticSink())
    parameters = {p.id: p for p in definition.parameters}
    return object_schedule(context.resolved["A"], context.resolved, parameters)


def _runs(timetable: DataPipelineTimetable, restriction: TimeRestriction, limit: int) -> list:
    runs, last = [], None
    while len(runs) < limit:
        info = timetable.next_dagrun_info(
            last_automated_data_interval=last, restriction=restriction
        )
        if info is None:
            break
        last = info.data_interval
        runs.append(
            [
                last.start.strftime("%Y-%m-%dT%H:%M:%S"),
                last.end.strftime("%Y-%m-%dT%H:%M:%S"),
                info.run_after.strftime("%Y-%m-%dT%H:%M:%S"),
            ]
        )
    return runs


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_schedule_case(case: dict) -> None:
    timetable = DataPipelineTimetable([_named(case)])
    after = pendulum.instance(parse_datetime(case["after"])) if "after" in case else None
    restriction = TimeRestriction(earliest=after, latest=None, catchup=True)
    if "first" in case:
        assert _runs(timetable, restriction, len(case["first"])) == case["first"]
    if "count" in case:
        runs = _runs(timetable, restriction, case["count"] + 5)
        assert len(runs) == case["count"]
        if "last" in case:
            assert runs[-1] == case["last"]


def _utc(text: str) -> pendulum.DateTime:
    return pendulum.instance(parse_datetime(text))


HOURLY = NamedSchedule(
    "H",
    ScheduleSpec(parse_datetime("2024-01-01T00:00:00"), Period(1, PeriodUnit.HOURS), RunAt.START),
)


def test_serialization_round_trips() -> None:
    named = NamedSchedule(
        "M",
        ScheduleSpec(
            parse_datetime("2024-01-31T00:00:00"),
            Period(1, PeriodUnit.MONTHS),
            RunAt.END,
            parse_datetime("2025-01-01T00:00:00"),
        ),
    )
    first = NamedSchedule(
        "F",
        ScheduleSpec(
            parse_datetime("1970-01-01T00:00:00"), Period(1, PeriodUnit.DAYS), occurrences=1
        ),
        True,
    )
    timetable = DataPipelineTimetable([HOURLY, named, first])
    data = timetable.serialize()
    assert json.loads(json.dumps(data)) == data
    assert DataPipelineTimetable.deserialize(data) == timetable
    assert data["schedules"][1] == {
        "id": "M",
        "start": "2024-01-31T00:00:00",
        "period": "1 month",
        "type": "timeseries",
        "end": "2025-01-01T00:00:00",
        "occurrences": None,
    }


def test_summary_reads_as_a_sentence() -> None:
    named = NamedSchedule(
        "S",
        ScheduleSpec(
            parse_datetime("2024-02-28T23:30:00"), Period(15, PeriodUnit.MINUTES), occurrences=4
        ),
    )
    assert DataPipelineTimetable([named]).summary == (
        "every 15 minutes from 2024-02-28T23:30 (cron), 4 runs"
    )


NO_CATCHUP = TimeRestriction(earliest=None, latest=None, catchup=False)


def test_without_catchup_older_instances_are_skipped_and_the_latest_due_runs() -> None:
    """Airflow's catchup=False: of the instances already due only the latest runs."""
    timetable = DataPipelineTimetable([HOURLY])
    now = datetime.now(UTC)
    info = timetable.next_dagrun_info(last_automated_data_interval=None, restriction=NO_CATCHUP)
    assert info is not None
    assert now - timedelta(hours=1) < info.run_after <= now
    assert info.run_after.minute == 0 and info.run_after.second == 0
    with_catchup = timetable.next_dagrun_info(
        last_automated_data_interval=None,
        restriction=TimeRestriction(earliest=None, latest=None, catchup=True),
    )
    assert with_catchup is not None
    assert with_catchup.run_after == _utc("2024-01-01T00:00:00")


def test_without_catchup_a_due_instance_survives_a_reparse_before_its_run_exists() -> None:
    """The DAG processor recomputes the next run at every parse: one landing between an
    instance's run time and the scheduler creating its run must not skip the instance."""
    timetable = DataPipelineTimetable([HOURLY])
    due = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    ran_before = DataInterval(due - timedelta(hours=1), due)  # the previous instance's run
    info = timetable.next_dagrun_info(
        last_automated_data_interval=ran_before, restriction=NO_CATCHUP
    )
    assert info is not None and info.run_after == due
    ran_due = DataInterval(due, due + timedelta(hours=1))
    after = timetable.next_dagrun_info(last_automated_data_interval=ran_due, restriction=NO_CATCHUP)
    assert after is not None and after.run_after == due + timedelta(hours=1)
    long_ago = DataInterval(due - timedelta(hours=6), due - timedelta(hours=5))
    resumed = timetable.next_dagrun_info(
        last_automated_data_interval=long_ago, restriction=NO_CATCHUP
    )
    assert resumed is not None and resumed.run_after == due  # not the five missed before it


def test_without_catchup_a_finished_schedule_runs_nothing() -> None:
    finished = NamedSchedule(
        "Three",
        ScheduleSpec(
            parse_datetime("2024-01-01T00:00:00"), Period(1, PeriodUnit.HOURS), occurrences=3
        ),
    )
    timetable = DataPipelineTimetable([finished])
    assert (
        timetable.next_dagrun_info(last_automated_data_interval=None, restriction=NO_CATCHUP)
        is None
    )


def test_dag_end_date_and_start_date_restrict_runs() -> None:
    timetable = DataPipelineTimetable([HOURLY])
    restriction = TimeRestriction(
        earliest=_utc("2024-01-01T02:30:00"), latest=_utc("2024-01-01T04:00:00"), catchup=True
    )
    assert [r[2] for r in _runs(timetable, restriction, 10)] == [
        "2024-01-01T03:00:00",
        "2024-01-01T04:00:00",
    ]


def test_several_schedules_run_at_the_union_with_the_finest_interval() -> None:
    two_hourly = NamedSchedule(
        "T",
        ScheduleSpec(parse_datetime("2024-01-01T00:30:00"), Period(2, PeriodUnit.HOURS), RunAt.END),
    )
    timetable = DataPipelineTimetable([HOURLY, two_hourly])
    runs = _runs(timetable, TimeRestriction(None, None, True), 6)
    assert [r[2] for r in runs] == [
        "2024-01-01T00:00:00",
        "2024-01-01T01:00:00",
        "2024-01-01T02:00:00",
        "2024-01-01T02:30:00",
        "2024-01-01T03:00:00",
        "2024-01-01T04:00:00",
    ]
    assert runs[3][:2] == ["2024-01-01T00:30:00", "2024-01-01T02:30:00"]
    assert two_hourly.spec.instance_running_at(parse_datetime("2024-01-01T02:30:00")) is not None
    assert two_hourly.spec.instance_running_at(parse_datetime("2024-01-01T03:00:00")) is None


def test_first_activation_starts_at_the_first_computation() -> None:
    named = NamedSchedule(
        "F",
        ScheduleSpec(
            parse_datetime("1970-01-01T00:00:00"), Period(1, PeriodUnit.DAYS), occurrences=1
        ),
        True,
    )
    timetable = DataPipelineTimetable([named])
    restriction = TimeRestriction(None, None, False)
    first = timetable.next_dagrun_info(last_automated_data_interval=None, restriction=restriction)
    assert first is not None and first.data_interval is not None
    now = datetime.now(UTC)
    assert now - timedelta(minutes=1) < first.run_after <= now
    assert first.data_interval.end - first.data_interval.start == timedelta(days=1)
    again = timetable.next_dagrun_info(
        last_automated_data_interval=first.data_interval, restriction=restriction
    )
    assert again is None  # occurrences 1: the RunOnce pattern of AWS's samples


def test_manual_runs_get_the_interval_holding_their_time() -> None:
    interval = DataPipelineTimetable([HOURLY]).infer_manual_data_interval(
        run_after=_utc("2024-03-05T10:20:00")
    )
    assert interval == DataInterval(_utc("2024-03-05T10:00:00"), _utc("2024-03-05T11:00:00"))


UNITS = st.sampled_from(list(PeriodUnit))


@settings(max_examples=500, deadline=None)
@given(
    start=st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2040, 1, 1)),
    unit=UNITS,
    count=st.integers(1, 40),
    offset_minutes=st.integers(-(10**6), 10**7),
    run_at=st.sampled_from(list(RunAt)),
)
def test_arithmetic_agrees_with_itself(
    start: datetime, unit: PeriodUnit, count: int, offset_minutes: int, run_at: RunAt
) -> None:
    spec = ScheduleSpec(start.replace(tzinfo=UTC, microsecond=0), Period(count, unit), run_at)
    moment = spec.start + timedelta(minutes=offset_minutes)
    index = spec.index_at(moment)
    assert spec.start_of(index) <= moment < spec.start_of(index + 1)
    found = spec.first_running_at_or_after(moment)
    assert found is not None and found.run_at >= moment
    if found.index > 0:
        previous = spec.instance(found.index - 1)
        assert previous is not None and previous.run_at < moment

"""The timetable inside real Airflow: plugin registration, serialization, a dag.test() run."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pendulum
import pytest

from dp_airflow.model.slots import Period, PeriodUnit, parse_datetime
from dp_airflow.schedule.model import RunAt, ScheduleSpec
from dp_airflow.schedule.pipeline import NamedSchedule
from dp_airflow.schedule.timetable import DataPipelineTimetable
from tests.conftest import sync_dag_to_db

QUARTER_HOURS = NamedSchedule(
    "Every15",
    ScheduleSpec(
        parse_datetime("2024-02-28T23:30:00"),
        Period(15, PeriodUnit.MINUTES),
        RunAt.START,
        occurrences=4,
    ),
)


def _dag(dag_id: str, timetable: DataPipelineTimetable, sink: list[str] | None = None):
    from airflow.sdk import DAG, task

    with DAG(
        dag_id, schedule=timetable, start_date=datetime(2024, 1, 1, tzinfo=UTC), catchup=True
    ) as dag:

        @task
        def record(data_interval_start=None, data_interval_end=None) -> str:
            text = f"{data_interval_start.isoformat()}|{data_interval_end.isoformat()}"
            if sink is not None:
                sink.append(text)
            return text

        record()
    return dag


def test_plugin_registers_the_timetable() -> None:
    from airflow.plugins_manager import get_timetables_plugins

    registered = get_timetables_plugins()
    assert registered["dp_airflow.schedule.timetable.DataPipelineTimetable"] is (
        DataPipelineTimetable
    )


def test_dag_with_the_timetable_serializes_and_deserializes() -> None:
    from airflow.serialization.serialized_objects import DagSerialization

    dag = _dag("dp_serialize", DataPipelineTimetable([QUARTER_HOURS]))
    data = DagSerialization.to_dict(dag)
    json.dumps(data)
    restored = DagSerialization.from_dict(data)
    assert restored.timetable == dag.timetable
    assert restored.timetable.summary == "every 15 minutes from 2024-02-28T23:30 (cron), 4 runs"


@pytest.mark.usefixtures("airflow_db")
def test_dag_test_runs_with_the_instance_interval() -> None:
    sink: list[str] = []
    dag = sync_dag_to_db(_dag("dp_dag_test", DataPipelineTimetable([QUARTER_HOURS]), sink))
    run = dag.test(logical_date=pendulum.datetime(2024, 2, 29, 0, 7, tz="UTC"))
    assert run.state == "success"
    assert sink == ["2024-02-29T00:00:00+00:00|2024-02-29T00:15:00+00:00"]


def _pipeline_schedule(objects: list[dict]):
    from dp_airflow.diagnostics import DiagnosticSink
    from dp_airflow.read.readers import read_text
    from dp_airflow.schedule.pipeline import pipeline_schedule
    from dp_airflow.validate.validation import validate_definition

    definition = read_text(json.dumps({"objects": objects})).definitions[0]
    return pipeline_schedule(validate_definition(definition, DiagnosticSink()).resolved)


def test_ondemand_pipeline_is_triggered_only_with_max_active_runs() -> None:
    from airflow.sdk import DAG

    from dp_airflow.schedule.timetable import dag_schedule_arguments

    schedule = _pipeline_schedule(
        [
            {
                "id": "Default",
                "scheduleType": "ondemand",
                "maxActiveInstances": "3",
                "workerGroup": "w",
            },
            {"id": "A", "type": "ShellCommandActivity", "command": "x"},
        ]
    )
    arguments = dag_schedule_arguments(schedule, catchup=True)
    assert arguments == {"schedule": None, "max_active_runs": 3, "catchup": False}
    dag = DAG("dp_ondemand", start_date=datetime(2024, 1, 1, tzinfo=UTC), **arguments)
    assert type(dag.timetable).__name__ == "NullTimetable"
    assert dag.max_active_runs == 3
    default_limit = dag_schedule_arguments(
        _pipeline_schedule([{"id": "Default", "scheduleType": "ondemand", "workerGroup": "w"}]),
        catchup=False,
    )
    assert default_limit["max_active_runs"] == 1


def test_scheduled_pipeline_gets_the_timetable_and_the_catchup_setting() -> None:
    from dp_airflow.schedule.timetable import dag_schedule_arguments

    schedule = _pipeline_schedule(
        [
            {"id": "Default", "scheduleType": "cron", "schedule": {"ref": "S"}, "workerGroup": "w"},
            {
                "id": "S",
                "type": "Schedule",
                "period": "1 day",
                "startDateTime": "2024-01-01T00:00:00",
            },
            {"id": "A", "type": "ShellCommandActivity", "command": "x"},
        ]
    )
    arguments = dag_schedule_arguments(schedule, catchup=False)
    assert arguments["catchup"] is False
    assert arguments["schedule"].summary == "every 1 day from 2024-01-01T00:00 (cron)"

"""ShellCommandActivity in real Airflow: evaluated values, Rendered Template view, secrets."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pendulum
import pytest

from dp_airflow.diagnostics import DiagnosticSink
from dp_airflow.model.slots import parse_datetime
from dp_airflow.plan.pipeline_runtime import PipelineRuntime
from dp_airflow.read.readers import read_text
from dp_airflow.validate.validation import validate_definition
from tests.conftest import sync_dag_to_db


def _runtime(
    objects: list[dict], parameters: list[dict] | None = None, values: dict | None = None
) -> PipelineRuntime:
    document = {"objects": objects, "parameters": parameters or [], "values": values or {}}
    definition = read_text(json.dumps(document)).definitions[0]
    sink = DiagnosticSink()
    context = validate_definition(definition, sink)
    assert not sink.has_errors, [d.render() for d in sink.items]
    return PipelineRuntime.build(
        context.resolved,
        {p.id: p for p in definition.parameters},
        {f.key: tuple(v.text or "" for v in f.values) for f in definition.values},
        "df-test",
    )


def _pipeline(out: Path) -> tuple[PipelineRuntime, dict]:
    say = {
        "id": "Say",
        "type": "ShellCommandActivity",
        "command": f"echo \"#{{myGreeting}} #{{format(@scheduledStartTime,'YYYY-MM-dd HH:mm')}}"
        f' {{{{ ds }}}} [$1] [$2] #{{*myToken}}" > {out}',
        "scriptArgument": ["#{myGreeting}-arg", "two words"],
    }
    runtime = _runtime(
        [
            {
                "id": "Default",
                "scheduleType": "cron",
                "schedule": {"ref": "Hourly"},
                "workerGroup": "wg",
            },
            {
                "id": "Hourly",
                "type": "Schedule",
                "period": "1 hour",
                "startDateTime": "2024-01-01T00:00:00",
            },
            say,
        ],
        [{"id": "myGreeting", "default": "hello"}, {"id": "*myToken"}],
        {"*myToken": "s3cr3t-value"},
    )
    return runtime, say


def _dag(runtime: PipelineRuntime, say: dict):
    from airflow.sdk import DAG

    from dp_airflow.operators.shell_command_activity import ShellCommandActivityOperator
    from dp_airflow.schedule.timetable import DataPipelineTimetable

    with DAG(
        "dp_runtime_shell",
        schedule=DataPipelineTimetable(runtime.schedule.schedules),
        start_date=datetime(2024, 1, 1, tzinfo=UTC),
        catchup=False,
    ) as dag:
        ShellCommandActivityOperator(
            task_id="Say",
            object_id="Say",
            pipeline=runtime,
            command=say["command"],
            script_argument=say["scriptArgument"],
        )
    return dag


@pytest.mark.usefixtures("airflow_db")
def test_command_sees_evaluated_values_and_rendered_view_shows_them(tmp_path: Path) -> None:
    from airflow.models.renderedtifields import RenderedTaskInstanceFields
    from airflow.utils.session import create_session

    out = tmp_path / "said.txt"
    runtime, say = _pipeline(out)
    dag = sync_dag_to_db(_dag(runtime, say))
    run = dag.test(logical_date=pendulum.datetime(2024, 1, 1, 5, 30, tz="UTC"))
    assert run.state == "success"
    # {{ ds }} is not ours and stays as written; arguments arrive as $1 and $2.
    assert out.read_text() == (
        "hello 2024-01-01 05:00 {{ ds }} [hello-arg] [two words] s3cr3t-value\n"
    )
    with create_session() as session:
        stored = (
            session.query(RenderedTaskInstanceFields)
            .filter_by(dag_id="dp_runtime_shell", task_id="Say")
            .one()
            .rendered_fields
        )
    assert stored["script_argument"] == ["hello-arg", "two words"]
    assert "hello 2024-01-01 05:00 {{ ds }} [$1] [$2]" in stored["command"]
    assert "s3cr3t-value" not in json.dumps(stored)


@pytest.mark.usefixtures("airflow_db")
def test_failing_command_fails_the_task(tmp_path: Path) -> None:
    from airflow.sdk import DAG

    from dp_airflow.operators.shell_command_activity import ShellCommandActivityOperator

    runtime = _runtime(
        [
            {"id": "Default", "scheduleType": "ondemand", "workerGroup": "wg"},
            {"id": "Fail", "type": "ShellCommandActivity", "command": "exit 3"},
        ]
    )
    with DAG("dp_runtime_fail", schedule=None, start_date=datetime(2024, 1, 1, tzinfo=UTC)) as dag:
        ShellCommandActivityOperator(
            task_id="Fail", object_id="Fail", pipeline=runtime, command="exit 3"
        )
    run = sync_dag_to_db(dag).test()
    assert run.state == "failed"


def test_a_task_runs_only_at_its_own_schedules_instances() -> None:
    runtime = _runtime(
        [
            {"id": "Default", "scheduleType": "cron", "workerGroup": "wg"},
            {
                "id": "Hourly",
                "type": "Schedule",
                "period": "1 hour",
                "startDateTime": "2024-01-01T00:00:00",
            },
            {
                "id": "TwoHourly",
                "type": "Schedule",
                "period": "2 hours",
                "startDateTime": "2024-01-01T00:00:00",
            },
            {
                "id": "Fine",
                "type": "ShellCommandActivity",
                "command": "x",
                "schedule": {"ref": "Hourly"},
            },
            {
                "id": "Coarse",
                "type": "ShellCommandActivity",
                "command": "y",
                "schedule": {"ref": "TwoHourly"},
            },
        ]
    )

    def scheduled(at: str) -> dict:
        moment = pendulum.instance(parse_datetime(at))
        return {
            "data_interval_start": moment,
            "data_interval_end": moment.add(hours=1),
            "dag_run": SimpleNamespace(run_type="scheduled", run_after=moment),
        }

    assert [s.schedule_id for s in runtime.schedule.schedules] == ["Hourly", "TwoHourly"]
    at_two = runtime.instance_for("Coarse", scheduled("2024-01-01T02:00:00"))
    assert at_two is not None
    assert (at_two.scheduled_start, at_two.scheduled_end) == (
        parse_datetime("2024-01-01T02:00:00"),
        parse_datetime("2024-01-01T04:00:00"),
    )
    assert runtime.instance_for("Coarse", scheduled("2024-01-01T03:00:00")) is None
    assert runtime.instance_for("Fine", scheduled("2024-01-01T03:00:00")) is not None


def test_a_manual_run_without_data_interval_takes_the_instance_holding_its_time() -> None:
    runtime = _runtime(
        [
            {
                "id": "Default",
                "scheduleType": "cron",
                "schedule": {"ref": "Hourly"},
                "workerGroup": "wg",
            },
            {
                "id": "Hourly",
                "type": "Schedule",
                "period": "1 hour",
                "startDateTime": "2024-01-01T00:00:00",
            },
            {"id": "A", "type": "ShellCommandActivity", "command": "x"},
        ]
    )
    triggered = pendulum.instance(parse_datetime("2024-06-01T15:00:41"))
    context = {
        "data_interval_start": None,
        "data_interval_end": None,
        "dag_run": SimpleNamespace(run_type="manual", run_after=triggered),
    }
    instance = runtime.instance_for("A", context)
    assert instance is not None
    assert (instance.scheduled_start, instance.scheduled_end) == (
        parse_datetime("2024-06-01T15:00:00"),
        parse_datetime("2024-06-01T16:00:00"),
    )

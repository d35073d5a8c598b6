"""The smoke subset run on every supported Airflow release (``make smoke``: 3.0.6, the oldest,
and 3.3.1, Amazon MWAA's newest, beside the locked 3.3.2): the loader on the examples, one
``dag.test()`` run of a shell pipeline with a precondition and an alarm, and the timetable."""

from __future__ import annotations

import json
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pendulum
import pytest

from tests.conftest import sns_inbox

ROOT = Path(__file__).parents[2]


def _dagbag(folder: Path) -> Any:
    try:
        from airflow.dag_processing.dagbag import DagBag
    except ImportError:  # Airflow 3.0
        from airflow.models.dagbag import DagBag
    return DagBag(dag_folder=str(folder))


def _synced(dag: Any) -> Any:
    """The DAG written to the metadata DB, as ``dag.test()`` needs from Airflow 3.1 on (3.0's
    ``dag.test()`` writes it itself)."""
    try:
        from airflow.dag_processing.dagbag import sync_bag_to_db
    except ImportError:  # Airflow 3.0
        return dag
    from airflow.dag_processing.bundles.manager import DagBundlesManager

    DagBundlesManager().sync_bundles_to_db()
    bag = _dagbag(Path(os.devnull))
    bag.bag_dag(dag)
    sync_bag_to_db(bag, "dags-folder", None)
    return dag


def test_the_loader_builds_every_example(tmp_path: Path) -> None:
    from airflow import __version__

    dags = tmp_path / "dags"
    dags.mkdir()
    shutil.copy(ROOT / "dags" / "dp_airflow_loader.py", dags)
    for example in (ROOT / "examples").glob("*.json"):
        shutil.copy(example, dags)
    bag = _dagbag(dags)
    assert bag.import_errors == {}
    expected = {p.stem for p in (ROOT / "examples").glob("*.json")}
    assert set(bag.dag_ids) == expected, __version__
    invalid = {d.dag_id: d.description for d in bag.dags.values() if "dp-airflow:invalid" in d.tags}
    assert invalid == {}, (__version__, invalid)


@pytest.mark.usefixtures("airflow_db")
def test_a_shell_pipeline_with_a_precondition_and_an_alarm_runs(tmp_path: Path, aws) -> None:
    from dp_airflow.loader import file_dags

    sqs = aws("sqs")
    topic, queue = sns_inbox(aws, "smoke", "smoke-inbox")
    out = tmp_path / "out.txt"
    ready = tmp_path / "ready"
    ready.touch()
    definition = tmp_path / "smoke.json"
    definition.write_text(
        json.dumps(
            {
                "objects": [
                    {"id": "Default", "scheduleType": "ondemand", "workerGroup": "local"},
                    {
                        "id": "Ready",
                        "type": "ShellCommandPrecondition",
                        "command": f"test -e {ready}",
                    },
                    {
                        "id": "Say",
                        "type": "ShellCommandActivity",
                        "command": f"echo #{{myWho}} > {out}",
                        "precondition": {"ref": "Ready"},
                        "onSuccess": {"ref": "Done"},
                    },
                    {
                        "id": "Done",
                        "type": "SnsAlarm",
                        "topicArn": topic,
                        "role": "r",
                        "subject": "#{node.@id} done",
                        "message": "ok",
                    },
                ],
                "parameters": [{"id": "myWho", "type": "String", "default": "world"}],
            }
        )
    )
    (dag,) = file_dags(definition)
    run = _synced(dag).test(logical_date=pendulum.datetime(2024, 3, 5, tz="UTC"))
    states = {ti.task_id: str(ti.state) for ti in run.get_task_instances()}
    assert states == {"Say__Ready": "success", "Say": "success"}
    assert out.read_text() == "world\n"
    (message,) = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=5)["Messages"]
    assert json.loads(message["Body"])["Subject"].startswith("@Say_")


def test_the_timetable_schedules_and_round_trips() -> None:
    from airflow.serialization.serialized_objects import decode_timetable, encode_timetable
    from airflow.timetables.base import TimeRestriction

    from dp_airflow.model.slots import parse_datetime, parse_period
    from dp_airflow.schedule.model import RunAt, ScheduleSpec
    from dp_airflow.schedule.pipeline import NamedSchedule
    from dp_airflow.schedule.timetable import DataPipelineTimetable

    spec = ScheduleSpec(parse_datetime("2024-01-01T00:00:00"), parse_period("6 hours"), RunAt.START)
    timetable = DataPipelineTimetable([NamedSchedule("Every6h", spec)])
    restriction = TimeRestriction(earliest=None, latest=None, catchup=True)
    first = timetable.next_dagrun_info(last_automated_data_interval=None, restriction=restriction)
    assert first is not None
    second = timetable.next_dagrun_info(
        last_automated_data_interval=first.data_interval, restriction=restriction
    )
    assert second is not None
    assert (first.run_after, second.run_after) == (
        datetime(2024, 1, 1, tzinfo=UTC),
        datetime(2024, 1, 1, 6, tzinfo=UTC),
    )
    assert decode_timetable(encode_timetable(timetable)) == timetable

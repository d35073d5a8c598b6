"""The dags-folder loader in real Airflow: good DAGs load, broken definitions are reported."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pendulum
import pytest

from tests.conftest import sync_dag_to_db

LOADER = Path(__file__).parents[2] / "dags" / "dp_airflow_loader.py"


def _good(log: Path) -> dict:
    return {
        "objects": [
            {
                "id": "Default",
                "scheduleType": "cron",
                "schedule": {"ref": "Daily"},
                "workerGroup": "wg",
                "failureAndRerunMode": "CASCADE",
            },
            {
                "id": "Daily",
                "type": "Schedule",
                "period": "1 day",
                "startDateTime": "2024-01-01T00:00:00",
            },
            {
                "id": "Extract",
                "name": "Extract orders",
                "type": "ShellCommandActivity",
                "command": f"echo extract #{{format(@scheduledStartTime,'YYYY-MM-dd')}} >> {log}",
                "output": {"ref": "Staged"},
            },
            {
                "id": "Staged",
                "type": "S3DataNode",
                "directoryPath": "s3://bucket/staged/",
                "precondition": {"ref": "Ready"},
            },
            {
                "id": "Ready",
                "type": "ShellCommandPrecondition",
                "command": f"grep -q extract {log}",
            },
            {
                "id": "Transform",
                "type": "ShellCommandActivity",
                "input": {"ref": "Staged"},
                "command": f"echo transform #{{myRegion}} >> {log}",
            },
            {
                "id": "Load",
                "type": "ShellCommandActivity",
                "dependsOn": {"ref": "Transform"},
                "command": f"echo load #{{input}} >> {log}",
                "input": {"ref": "Staged"},
            },
        ],
        "parameters": [
            {
                "id": "myRegion",
                "type": "String",
                "default": "eu-west-1",
                "allowedValues": ["eu-west-1", "us-east-1"],
                "description": "Where to run",
            }
        ],
    }


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    dags = tmp_path / "dags"
    dags.mkdir()
    shutil.copy(LOADER, dags / LOADER.name)
    (dags / "orders-daily.json").write_text(json.dumps(_good(tmp_path / "log.txt"), indent=2))
    (dags / "broken.json").write_text('{"objects": [\n  {"id": "A", "type": "Shel"}\n]}')
    (dags / "notes.txt").write_text("not a definition")
    return dags


def _bag(folder: Path):
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(folder))


def test_good_definitions_load_and_broken_ones_are_import_errors(folder: Path) -> None:
    bag = _bag(folder)
    assert sorted(bag.dag_ids) == ["orders-daily"]
    ((path, message),) = bag.import_errors.items()
    assert path.endswith("dp_airflow_loader.py")
    assert "1 definition file(s) could not be loaded" in message
    assert f"{folder / 'broken.json'}:2:23: error: [A.type] unknown object type 'Shel'" in message


def test_plan_shape_ids_names_edges_and_params(folder: Path) -> None:
    dag = _bag(folder).dags["orders-daily"]
    assert sorted(dag.task_ids) == ["Extract", "Load", "Staged__Ready", "Transform"]
    tasks = dag.task_dict
    assert tasks["Extract"].task_display_name == "Extract orders"
    assert tasks["Staged__Ready"].upstream_task_ids == {"Extract"}
    assert tasks["Transform"].upstream_task_ids == {"Extract", "Staged__Ready"}
    assert tasks["Load"].upstream_task_ids == {"Extract", "Staged__Ready", "Transform"}
    assert tasks["Staged__Ready"].mode == "reschedule"
    assert tasks["Extract"].retries == 2 and tasks["Extract"].queue == "wg"
    assert dag.params["myRegion"] == "eu-west-1"
    assert "Translated by dp-airflow from `orders-daily.json`" in dag.doc_md
    assert type(dag.timetable).__name__ == "DataPipelineTimetable"


def test_every_loaded_dag_serializes(folder: Path) -> None:
    from airflow.serialization.serialized_objects import DagSerialization

    for dag in _bag(folder).dags.values():
        DagSerialization.from_dict(DagSerialization.to_dict(dag))


@pytest.mark.usefixtures("airflow_db")
def test_the_pipeline_runs_in_order_with_param_override(folder: Path, tmp_path: Path) -> None:
    dag = sync_dag_to_db(_bag(folder).dags["orders-daily"])
    run = dag.test(
        logical_date=pendulum.datetime(2024, 3, 5, 12, tz="UTC"), run_conf={"myRegion": "us-east-1"}
    )
    assert run.state == "success"
    assert (tmp_path / "log.txt").read_text().splitlines() == [
        "extract 2024-03-05",
        "transform us-east-1",
        "load Staged",
    ]

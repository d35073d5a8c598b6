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


def test_good_definitions_load_and_broken_ones_become_stand_in_dags(folder: Path) -> None:
    bag = _bag(folder)
    assert sorted(bag.dag_ids) == ["broken", "orders-daily"]
    assert bag.import_errors == {}  # an import error would make every DAG of the file stale
    broken = bag.dags["broken"]
    diagnostic = f"{folder / 'broken.json'}:2:23: error: [A.type] unknown object type 'Shel'"
    assert broken.tags == {"dp-airflow", "dp-airflow:invalid"}
    assert not broken.timetable.can_be_scheduled
    assert diagnostic in broken.description and diagnostic in broken.doc_md
    assert list(broken.task_ids) == ["definition_errors"]
    assert "dp-airflow:invalid" not in bag.dags["orders-daily"].tags


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
    # The DAG's docs end with the pipeline's migration report, as `dp-airflow report` gives it.
    assert "## Migration report: orders-daily" in dag.doc_md
    assert "| Extract | command | native |" in dag.doc_md
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


CFN_YAML = """\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Nightly:
    Type: AWS::DataPipeline::Pipeline
    Properties:
      Name: nightly
      PipelineObjects:
        - Id: Default
          Name: Default
          Fields:
            - {Key: scheduleType, StringValue: ondemand}
            - {Key: workerGroup, StringValue: wg}
        - Id: Hello
          Name: Hello
          Fields:
            - {Key: type, StringValue: ShellCommandActivity}
            - {Key: command, StringValue: "echo #{myWho}"}
      ParameterObjects:
        - Id: myWho
          Attributes:
            - {Key: default, StringValue: world}
"""


def _ondemand(command: str = "true", parameters: list | None = None) -> str:
    return json.dumps(
        {
            "objects": [
                {"id": "Default", "scheduleType": "ondemand", "workerGroup": "wg"},
                {"id": "Work", "type": "ShellCommandActivity", "command": command},
            ],
            **({"parameters": parameters} if parameters else {}),
        }
    )


@pytest.fixture
def layouts(tmp_path: Path) -> Path:
    """A dags folder laid out the ways users keep definitions."""
    dags = tmp_path / "dags"
    (dags / "team" / "nested").mkdir(parents=True)
    (dags / "aws-sample" / "extra").mkdir(parents=True)
    (dags / "skipme").mkdir()
    shutil.copy(LOADER, dags / LOADER.name)
    (dags / "team" / "nested" / "deep.json").write_text(_ondemand())
    (dags / "nightly.yaml").write_text(CFN_YAML)
    sample = dags / "aws-sample"
    (sample / "definition.json").write_text(_ondemand("echo #{myTable}"))
    (sample / "parameters.json").write_text(json.dumps({"parameters": [{"id": "myTable"}]}))
    (sample / "values.json").write_text(json.dumps({"values": {"myTable": "orders"}}))
    (sample / "extra" / "ignored-inside-a-pipeline-folder.json").write_text(_ondemand())
    (dags / "stem.json").write_text(_ondemand("echo #{myTable}", [{"id": "myTable"}]))
    (dags / "stem.values.json").write_text(json.dumps({"values": {"myTable": "stemmed"}}))
    (dags / "package.json").write_text('{"name": "tools", "version": "1.0.0"}')
    (dags / "skipme" / "hidden.json").write_text(_ondemand())
    (dags / ".airflowignore").write_text("skipme/\n")
    return dags


def test_subfolders_templates_and_pipeline_folders_become_dags(layouts: Path) -> None:
    bag = _bag(layouts)
    assert bag.import_errors == {}
    assert sorted(bag.dag_ids) == ["aws-sample", "deep", "nightly", "stem"]
    assert bag.dags["aws-sample"].params["myTable"] == "orders"  # from its values.json
    assert bag.dags["stem"].params["myTable"] == "stemmed"  # from stem.values.json
    assert bag.dags["nightly"].params["myWho"] == "world"
    assert all("dp-airflow:invalid" not in dag.tags for dag in bag.dags.values())


def test_an_imported_pipelines_tags_become_dag_tags(layouts: Path) -> None:
    record = layouts / "aws-sample" / "pipeline.json"
    record.write_text(json.dumps({"pipelineId": "df-1", "tags": {"team": "data", "tier": "1"}}))
    assert {"team:data", "tier:1"} <= set(_bag(layouts).dags["aws-sample"].tags)
    record.write_text(json.dumps({"pipelineId": "df-1", "tags": {"team": "finance"}}))
    tags = set(_bag(layouts).dags["aws-sample"].tags)  # the edit misses the parse cache
    assert "team:finance" in tags and "team:data" not in tags
    record.write_text("{not json")
    dag = _bag(layouts).dags["aws-sample"]  # a bad record costs the tags, not the DAG
    assert "dp-airflow:invalid" not in dag.tags and "team:finance" not in dag.tags


def test_two_files_with_one_dag_id_are_both_reported(layouts: Path) -> None:
    (layouts / "team" / "stem.json").write_text(_ondemand())
    bag = _bag(layouts)
    clash = bag.dags["stem"]
    assert "dp-airflow:invalid" in clash.tags
    assert f"{layouts / 'stem.json'}, {layouts / 'team' / 'stem.json'}" in clash.doc_md
    assert "rename or remove all but one" in clash.description
    assert "dp-airflow:invalid" not in bag.dags["deep"].tags


def test_a_worker_reads_only_the_definition_of_its_dag(
    layouts: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (layouts / "broken.json").write_text("{not json")
    monkeypatch.setenv("_AIRFLOW_PARSING_CONTEXT_DAG_ID", "deep")
    assert sorted(_bag(layouts).dag_ids) == ["deep"]


def test_a_deleted_definition_goes_and_comes_back_from_the_cache(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dp_airflow import loader

    monkeypatch.setenv("AIRFLOW__DP_AIRFLOW__PARSE_CACHE_DIR", str(tmp_path / "cache"))
    first = _bag(folder).dags["orders-daily"]
    definition = folder / "orders-daily.json"
    text = definition.read_text()
    definition.unlink()
    bag = _bag(folder)
    assert "orders-daily" not in bag.dags and "broken" in bag.dags and not bag.import_errors

    def untranslatable(*args: object, **kwargs: object) -> None:
        raise AssertionError("translated again although its entry is cached")

    monkeypatch.setattr(loader, "_translate", untranslatable)
    definition.write_text(text)
    again = _bag(folder).dags["orders-daily"]
    assert sorted(again.task_ids) == sorted(first.task_ids)
    assert again.timetable == first.timetable and again.doc_md == first.doc_md


def test_an_internal_error_for_one_definition_spares_the_others(
    layouts: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Stands for a bug in dp-airflow: the one thing a valid input cannot provoke on purpose.
    from dp_airflow import migration_report

    real = migration_report.documented_outcome

    def buggy(source):
        if source.dag_id == "deep":
            raise KeyError("boom")
        return real(source)

    monkeypatch.setattr(migration_report, "documented_outcome", buggy)
    monkeypatch.setenv("AIRFLOW__DP_AIRFLOW__PARSE_CACHE_DIR", "off")
    bag = _bag(layouts)
    assert bag.import_errors == {}
    assert "internal error in dp-airflow (KeyError: 'boom')" in bag.dags["deep"].doc_md
    assert "dp-airflow:invalid" not in bag.dags["stem"].tags


def test_the_cpu_budget_stops_a_runaway_translation() -> None:
    import time

    from dp_airflow.budget import BudgetExceeded, cpu_budget

    started = time.process_time()
    expected = pytest.raises(BudgetExceeded, match=r"big.json: translation stopped after 0.2 s")
    with expected, cpu_budget(0.2, "big.json"):
        while True:
            pass
    assert time.process_time() - started < 1.0


def test_a_schedule_parameter_without_a_value_says_where_to_give_it(tmp_path: Path) -> None:
    dags = tmp_path / "dags"
    dags.mkdir()
    shutil.copy(LOADER, dags / LOADER.name)
    definition = {
        "objects": [
            {
                "id": "Default",
                "scheduleType": "cron",
                "schedule": {"ref": "S"},
                "workerGroup": "wg",
            },
            {
                "id": "S",
                "type": "Schedule",
                "period": "#{myPeriod}",
                "startDateTime": "2024-01-01T00:00:00",
            },
            {"id": "A", "type": "ShellCommandActivity", "command": "true"},
        ],
        "parameters": [{"id": "myPeriod"}],
    }
    (dags / "periodic.json").write_text(json.dumps(definition))
    stand_in = _bag(dags).dags["periodic"]
    assert "dp-airflow:invalid" in stand_in.tags
    assert (
        "S: parameter 'myPeriod' has no value: a schedule needs it when the DAG is parsed, so "
        "give it in a values file"
    ) in stand_in.doc_md
    (dags / "periodic.values.json").write_text(json.dumps({"values": {"myPeriod": "1 day"}}))
    assert "dp-airflow:invalid" not in _bag(dags).dags["periodic"].tags

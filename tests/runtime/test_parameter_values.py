"""Parameter values in DAG runs: precedence of sources, missing values, secrets from files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pendulum
import pytest

from tests.conftest import sync_dag_to_db, task_states

LOADER = Path(__file__).parents[2] / "dags" / "dp_airflow_loader.py"
CORPUS = Path(__file__).parents[3] / "shared" / "corpus"
CUSTOM_TEMPLATES = (
    CORPUS
    / "doc-examples"
    / "awsdocs__aws-data-pipeline-developer-guide"
    / "doc_source__dp-custom-templates.md__block0{}.json"
)


def _definition(out: Path, schedule: bool = False) -> dict:
    default = {"id": "Default", "workerGroup": "wg"}
    objects: list[dict] = [default]
    if schedule:
        default.update(scheduleType="cron", schedule={"ref": "Daily"})
        objects.append(
            {
                "id": "Daily",
                "type": "Schedule",
                "period": "1 day",
                "startDateTime": "2024-01-01T00:00:00",
            }
        )
    else:
        default["scheduleType"] = "ondemand"
    objects += [
        {"id": "First", "type": "ShellCommandActivity", "command": f"echo first >> {out}"},
        {
            "id": "Use",
            "type": "ShellCommandActivity",
            "command": f'echo "#{{myA}} #{{myB}} #{{myC}} #{{myD}} $1" >> {out}',
            "scriptArgument": "#{*myToken}",
            "dependsOn": {"ref": "First"},
            "maximumRetries": "0",
        },
    ]
    return {
        "objects": objects,
        "parameters": [
            {"id": "myA", "default": "a-default"},
            {"id": "myB", "default": "b-default"},
            {"id": "myC", "default": "c-default"},
            {"id": "myD"},
            {"id": "*myToken"},
        ],
        "values": {"myA": "a-definition", "myB": "b-definition", "myC": "c-definition"},
    }


def _dags(tmp_path: Path, definition: dict, values: dict | None = None) -> Path:
    dags = tmp_path / "dags"
    dags.mkdir()
    shutil.copy(LOADER, dags / LOADER.name)
    (dags / "pipe.json").write_text(json.dumps(definition))
    if values is not None:
        (dags / "pipe.values.json").write_text(json.dumps({"values": values}))
    return dags


def _dag(dags: Path, dag_id: str = "pipe"):
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(dags))
    assert bag.import_errors == {}
    return bag.dags[dag_id]


@pytest.mark.usefixtures("airflow_db")
def test_values_come_by_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out.txt"
    # myA: run > file > Variable > definition; myB: file > Variable; myC: Variable > definition;
    # myD only in a Variable; the secret from the values file.
    # (Scheduled: on an on-demand pipeline the form itself would insist on myD.)
    dags = _dags(
        tmp_path,
        _definition(out, schedule=True),
        {"myA": "a-file", "myB": "b-file", "*myToken": "tok-from-file"},
    )
    for key, value in {
        "pipe__myA": "a-variable",
        "pipe__myB": "b-variable",
        "pipe__myC": "c-variable",
        "myD": "d-variable",
    }.items():
        monkeypatch.setenv(f"AIRFLOW_VAR_{key.upper()}", value)
    monkeypatch.setenv("AIRFLOW__DP_AIRFLOW__PARSE_CACHE_DIR", "off")
    dag = sync_dag_to_db(_dag(dags))
    assert "*myToken" not in dag.params  # the trigger form never offers a secret
    assert dag.params["myA"] == "a-file"  # the form shows what a run uses by default
    run = dag.test(logical_date=pendulum.datetime(2024, 3, 5, tz="UTC"), run_conf={"myA": "a-run"})
    assert run.state == "success", task_states(run)
    assert out.read_text().splitlines() == [
        "first",
        "a-run b-file c-variable d-variable tok-from-file",
    ]
    rendered = _rendered(run, "Use")
    assert "tok-from-file" not in json.dumps(rendered) and "***" in json.dumps(rendered)
    assert "tok-from-file" not in dag.doc_md
    assert run.conf == {"myA": "a-run"}


def _rendered(run, task_id: str) -> dict:
    from airflow.models.renderedtifields import RenderedTaskInstanceFields
    from airflow.utils.session import create_session

    with create_session() as session:
        row = (
            session.query(RenderedTaskInstanceFields)
            .filter_by(dag_id=run.dag_id, run_id=run.run_id, task_id=task_id)
            .one()
        )
        return dict(row.rendered_fields)


@pytest.mark.usefixtures("airflow_db")
def test_a_scheduled_run_without_a_value_fails_where_it_is_needed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out.txt"
    monkeypatch.setenv("AIRFLOW__DP_AIRFLOW__PARSE_CACHE_DIR", "off")
    monkeypatch.setenv("AIRFLOW_VAR_MYTOKEN", "t")
    dag = sync_dag_to_db(_dag(_dags(tmp_path, _definition(out, schedule=True))))
    assert dag.params.get_param("myD").schema["type"] == ["string", "null"]
    assert "No value is configured" in dag.params.get_param("myD").description
    run = dag.test(logical_date=pendulum.datetime(2024, 3, 5, tz="UTC"))
    assert task_states(run) == {"First": "success", "Use": "failed"}
    assert out.read_text() == "first\n"
    log = "".join(capfd.readouterr())  # dag.test() prints the task's log
    assert "parameter 'myD' has no value; give one with --parameter-values myD=VALUE" in log
    assert "the Airflow Variable pipe__myD or myD, or the trigger form" in log


def test_an_ondemand_pipeline_asks_for_a_missing_value_in_the_form(tmp_path: Path) -> None:
    dag = _dag(_dags(tmp_path, _definition(tmp_path / "out.txt")))
    param = dag.params.get_param("myD")
    assert param.schema["type"] == "string"
    assert not param.has_value  # required: the trigger form marks it so


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is not beside us")
def test_the_guides_template_sample_loads_from_its_folder_form(tmp_path: Path) -> None:
    # The developer guide's custom-template example: definition, parameters and values files.
    dags = tmp_path / "dags"
    folder = dags / "custom-template"
    folder.mkdir(parents=True)
    shutil.copy(LOADER, dags / LOADER.name)
    for index, name in enumerate(("definition.json", "parameters.json", "values.json")):
        shutil.copy(str(CUSTOM_TEMPLATES).format(index), folder / name)
    dag = _dag(dags, "custom-template")
    assert "dp-airflow:invalid" not in dag.tags
    assert dag.params["myS3OutputLoc"] == "myOutputLocation"  # from values.json
    assert (
        dag.params["myS3InputLoc"] == "s3://us-east-1.elasticmapreduce.samples/pig-apache-logs/data"
    )
    assert sorted(dag.task_ids) == ["ShellCommandActivityObj"]

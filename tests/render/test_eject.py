"""``dp-airflow eject``: the ejected Python file builds the loader's DAG, for every corpus
definition that translates, and runs like it (secrets from Airflow Variables, never written)."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pendulum
import pytest

from dp_airflow.cli.main import main
from tests.conftest import sync_dag_to_db, task_states
from tests.validate.record_corpus import CORPUS, EXPECTED, corpus_files

ROOT = Path(__file__).parents[2]
RECORDED = json.loads(EXPECTED.read_text()) if EXPECTED.is_file() else {}
VALID = [
    p
    for p in (corpus_files() if CORPUS.is_dir() else [])
    if RECORDED.get(str(p.relative_to(CORPUS)), {}).get("valid")
]
SIMPLE = (str, int, float, bool, type(None), timedelta, list, tuple, dict)


def _load(path: Path) -> Any:
    """The ejected file through Airflow's own DagBag, as the DAG processor reads it."""
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(path))
    assert bag.import_errors == {}, bag.import_errors
    (dag,) = bag.dags.values()
    return dag


def _serialized(dag: Any) -> dict[str, Any]:
    from airflow.serialization.serialized_objects import DagSerialization

    data = DagSerialization.serialize_dag(dag)
    for key in ("fileloc", "relative_fileloc", "doc_md"):
        data.pop(key, None)
    return json.loads(json.dumps(data, default=str, sort_keys=True))


def _attributes(task: Any) -> dict[str, Any]:
    """The operator's own arguments as it holds them (what serialization may leave out)."""
    skip = {
        "_log",
        "_BaseOperator__init_kwargs",
        "_dag",
        "dag",
        "pipeline",
        "upstream_task_ids",
        "downstream_task_ids",
        "_BaseOperator__instantiated",
    }
    return {
        k: v
        for k, v in vars(task).items()
        if k not in skip and isinstance(v, SIMPLE) and "callback" not in k
    }


def _runtime(dag: Any) -> Any:
    """What the tasks evaluate against; secrets only by name (they go to Variables)."""
    pipeline = next((t.pipeline for t in dag.tasks if hasattr(t, "pipeline")), None)
    if pipeline is None:
        return None
    objects = {
        object_id: {
            key: "secret" if key.startswith("*") else [(v.text, v.ref) for v in f.field.values]
            for key, f in obj.fields.items()
        }
        for object_id, obj in pipeline.objects.items()
    }
    parameters = {
        parameter_id: {a.key: [v.text for v in a.values] for a in parameter.attributes}
        for parameter_id, parameter in pipeline.parameters.items()
        if not parameter_id.startswith("*")
    }
    values = {k: v for k, v in {**pipeline.values, **pipeline.supplied}.items() if k[0] != "*"}
    return objects, parameters, values, pipeline.schedule, pipeline.pipeline_id


def test_every_translatable_corpus_definition_ejects_to_the_loaders_dag(tmp_path: Path) -> None:
    if not VALID:
        pytest.skip("../shared/corpus is not beside us")
    from dp_airflow.errors import DefinitionError
    from dp_airflow.plan.translation import source_for, translate_source
    from dp_airflow.render.dag import render_dag
    from dp_airflow.render.eject import eject_pipeline

    translatable = ejected = identical = 0
    for index, path in enumerate(VALID):
        try:
            translation = translate_source(source_for(path))
        except DefinitionError:
            continue  # valid but not translatable (a schedule needs a value): no DAG to eject
        translatable += 1
        for spec, runtime in translation:
            folder = tmp_path / str(index)
            folder.mkdir(exist_ok=True)
            target = folder / f"{spec.dag_id}.py"
            target.write_text(eject_pipeline(spec, runtime, False, "test").text)
            ejected += 1
            loaded, built = _load(target), render_dag(spec, runtime, False)
            assert _serialized(loaded) == _serialized(built), path
            assert {t.task_id: type(t) for t in loaded.tasks} == {
                t.task_id: type(t) for t in built.tasks
            }
            for task in built.tasks:
                twin = loaded.get_task(task.task_id)
                assert _attributes(twin) == _attributes(task), (path, task.task_id)
                assert twin.trigger_rule == task.trigger_rule
                assert twin.upstream_task_ids == task.upstream_task_ids
            assert _runtime(loaded) == _runtime(built), path
            identical += 1
    assert translatable >= 60 and ejected >= translatable and identical == ejected
    print(f"corpus eject: {translatable} translatable, {ejected} ejected, {identical} identical")
    lint = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--isolated", "--quiet", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert lint.returncode == 0, lint.stdout + lint.stderr


SECRET_DEFINITION = {
    "objects": [
        {"id": "Default", "scheduleType": "ondemand", "workerGroup": "local"},
        {
            "id": "Db",
            "type": "RdsDatabase",
            "rdsInstanceId": "my-db",
            "username": "loader",
            "*password": "hunter2-literal",
        },
        {
            "id": "Say",
            "type": "ShellCommandActivity",
            "command": "echo #{myWho} #{*myToken} > OUT",
        },
    ],
    "parameters": [
        {"id": "myWho", "type": "String", "default": "world"},
        {"id": "*myToken", "type": "String"},
    ],
    "values": {"*myToken": "tok-in-values"},
}


@pytest.mark.usefixtures("airflow_db")
def test_an_ejected_file_runs_and_never_holds_a_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out.txt"
    definition = tmp_path / "greet.json"
    text = json.dumps(SECRET_DEFINITION).replace("OUT", str(out))
    definition.write_text(text)
    target = tmp_path / "dags" / "greet.py"
    assert main(["eject", "--out", str(target), str(definition)]) == 0
    printed = capsys.readouterr().out
    assert f"greet: {target}" in printed
    assert "secret: give the Airflow Variable greet__myToken" in printed
    assert "secret: give the Airflow Variable greet__myDb_password" in printed
    ejected = target.read_text()
    assert "hunter2-literal" not in ejected and "tok-in-values" not in ejected
    assert ejected.startswith('"""greet: a Data Pipeline definition taken over as Airflow code.')
    assert "Ejected by dp-airflow" in ejected and "from greet.json" in ejected
    assert '"*password": "#{*myDb_password}"' in ejected
    definition.unlink()  # the ejected file stands alone
    monkeypatch.setenv("AIRFLOW_VAR_GREET__MYTOKEN", "tok-from-variable")
    monkeypatch.setenv("AIRFLOW_VAR_GREET__MYDB_PASSWORD", "pw-from-variable")
    dag = sync_dag_to_db(_load(target))
    assert dag.params["myWho"] == "world" and "*myToken" not in dag.params
    run = dag.test(logical_date=pendulum.datetime(2024, 3, 5, tz="UTC"))
    assert task_states(run) == {"Say": "success"}
    assert out.read_text() == "world tok-from-variable\n"
    from dp_airflow.expressions.evaluate import render

    pipeline = dag.get_task("Say").pipeline  # the database's password, as a SqlActivity reads it
    instance = pipeline.instance_for("Db", {})
    scope = pipeline.scope("Db", instance, pipeline.run_overrides({}))
    assert render(pipeline.objects["Db"].value_text("*password"), scope) == "pw-from-variable"


def test_eject_refuses_a_definition_with_errors_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    definition = tmp_path / "bad.json"
    definition.write_text(json.dumps({"objects": [{"id": "A", "type": "Shel"}]}))
    assert main(["eject", "--out", str(tmp_path / "out"), str(definition)]) == 1
    err = capsys.readouterr().err
    assert f"{definition}:1:" in err and "unknown object type 'Shel'" in err
    assert "has errors; nothing written" in err
    assert not (tmp_path / "out").exists()


def test_an_ejected_late_alarm_finds_its_pipeline_through_the_ejected_file(
    tmp_path: Path, aws
) -> None:
    import asyncio

    from dp_airflow.notifiers.late_action import notify_late
    from tests.conftest import sns_inbox
    from tests.runtime.test_failure_modes import _late

    _, queue = sns_inbox(aws, "late", "late-inbox-ejected")
    definition = tmp_path / "late.json"
    definition.write_text(json.dumps(_late(tmp_path, "Alarm", tmp_path / "ran.txt")))
    target = tmp_path / "dags" / "late.py"
    assert main(["eject", "--out", str(target), str(definition)]) == 0
    definition.unlink()
    (alert,) = _load(target).deadline
    assert alert.callback.kwargs["definition"] == str(target)
    run = {
        "run_type": "scheduled",
        "run_after": "2024-05-06T00:00:00Z",
        "data_interval_start": "2024-05-06T00:00:00Z",
        "data_interval_end": "2024-05-07T00:00:00Z",
        "conf": {},
    }
    asyncio.run(notify_late(**alert.callback.kwargs, context={"dag_run": run}))
    (message,) = aws("sqs").receive_message(QueueUrl=queue)["Messages"]
    body = json.loads(message["Body"])
    assert body["Subject"] == "@Report_2024-05-06T00:00:00 late"
    assert body["Message"].startswith("Report is late")

"""``dp-airflow import`` against the moto server: pipeline folders the loader reads.

moto stores a pipeline's objects but drops the parameter objects and values given to
PutPipelineDefinition; the test keeps them (and returns them from GetPipelineDefinition), which
is the one thing patched. Nothing else is stubbed.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from dp_airflow.cli.main import main

LOADER = Path(__file__).parents[2] / "dags" / "dp_airflow_loader.py"


@contextmanager
def parameters_kept() -> Iterator[None]:
    from moto.datapipeline.responses import DataPipelineResponse

    kept: dict[str, dict] = {}
    put, get = (
        DataPipelineResponse.put_pipeline_definition,
        DataPipelineResponse.get_pipeline_definition,
    )

    def put_definition(self):  # also keep what moto drops
        kept[self._get_param("pipelineId")] = {
            "parameterObjects": self._get_param("parameterObjects") or [],
            "parameterValues": self._get_param("parameterValues") or [],
        }
        return put(self)

    def get_definition(self):
        answer = json.loads(get(self))
        answer.update(kept.get(self._get_param("pipelineId"), {}))
        return json.dumps(answer)

    DataPipelineResponse.put_pipeline_definition = put_definition
    DataPipelineResponse.get_pipeline_definition = get_definition
    try:
        yield
    finally:
        DataPipelineResponse.put_pipeline_definition = put
        DataPipelineResponse.get_pipeline_definition = get


def _fields(**values: str) -> list[dict]:
    return [{"key": k.replace("STAR_", "*"), "stringValue": v} for k, v in values.items()]


def _pipeline(client, name: str, objects: list[dict], **extra) -> str:
    created = client.create_pipeline(
        name=name, uniqueId=f"{name}-{len(objects)}", **extra.pop("create", {})
    )
    client.put_pipeline_definition(
        pipelineId=created["pipelineId"], pipelineObjects=objects, **extra
    )
    return str(created["pipelineId"])


DEFAULT = {
    "id": "Default",
    "name": "Default",
    "fields": _fields(scheduleType="ondemand", workerGroup="wg"),
}


@pytest.fixture
def account(aws) -> Iterator[dict[str, str]]:
    with parameters_kept():
        client = aws("datapipeline")
        ids = {
            "tagged": _pipeline(
                client,
                "Orders Daily",
                [
                    DEFAULT,
                    {
                        "id": "Say",
                        "name": "Say",
                        "fields": _fields(type="ShellCommandActivity", command="echo hi"),
                    },
                ],
                create={"tags": [{"key": "team", "value": "data"}], "description": "orders"},
            ),
            "params": _pipeline(
                client,
                "Params Demo",
                [
                    DEFAULT,
                    {
                        "id": "Db",
                        "name": "Db",
                        "fields": _fields(
                            type="JdbcDatabase",
                            connectionString="jdbc:postgresql://db:5432/x",
                            jdbcDriverClass="org.postgresql.Driver",
                            username="u",
                            STAR_password="literal-db-secret",
                        ),
                    },
                    {
                        "id": "Say",
                        "name": "Say",
                        "fields": _fields(
                            type="ShellCommandActivity",
                            command="echo #{myWho} $1",
                            scriptArgument="#{*myToken}",
                        ),
                    },
                ],
                parameterObjects=[
                    {"id": "myWho", "attributes": _fields(type="String")},
                    {"id": "*myToken", "attributes": _fields(type="String")},
                ],
                parameterValues=[
                    {"id": "myWho", "stringValue": "moon"},
                    {"id": "*myToken", "stringValue": "token-value-secret"},
                ],
            ),
            "broken": _pipeline(
                client,
                "Broken One",
                [DEFAULT, {"id": "A", "name": "A", "fields": _fields(type="ShellComandActivity")}],
            ),
            "same name": _pipeline(
                client,
                "Orders Daily",
                [
                    DEFAULT,
                    {
                        "id": "B",
                        "name": "B",
                        "fields": _fields(type="ShellCommandActivity", command="true"),
                    },
                ],
            ),
        }
        yield ids


def _import(moto_server: str, out: Path, *extra: str) -> int:
    return main(
        [
            "import",
            "--out",
            str(out),
            "--endpoint-url",
            moto_server,
            "--region",
            "us-east-1",
            *extra,
        ]
    )


def test_import_writes_pipeline_folders_the_loader_reads(
    account, moto_server: str, tmp_path: Path, capsys
) -> None:
    out = tmp_path / "imported"
    assert _import(moto_server, out) == 0
    printed = capsys.readouterr().out
    suffix = account["same name"].removeprefix("df-")[-6:].lower()
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["orders-daily", f"orders-daily-{suffix}", "params-demo", "broken-one"]
    )
    assert "4 of 4 pipeline(s) imported" in printed
    assert "broken-one, 1 validation error(s): see dp-airflow validate" in printed
    assert "secret values not written" in printed and "params-demo: *myToken" in printed
    tagged = json.loads((out / "orders-daily" / "pipeline.json").read_text())
    assert (tagged["pipelineId"], tagged["tags"], tagged["description"], tagged["state"]) == (
        account["tagged"],
        {"team": "data"},
        "orders",
        "PENDING",
    )
    params = out / "params-demo"
    definition = json.loads((params / "definition.json").read_text())
    assert [p["id"] for p in definition["parameters"]] == ["myWho", "*myToken"]
    assert json.loads((params / "values.json").read_text()) == {"values": {"myWho": "moon"}}
    assert json.loads((params / "pipeline.json").read_text())["secretsNotWritten"] == [
        "Db.*password",
        "*myToken",
    ]
    for path in out.rglob("*"):
        if path.is_file():
            assert "secret" not in path.read_text().replace("secretsNotWritten", ""), path
    capsys.readouterr()
    assert main(["report", str(params)]) == 0
    assert (
        "action: Db.*password was not imported (a secret): for a database, give it in the "
        "Airflow connection params-demo__Db"
    ) in capsys.readouterr().out
    # Dropped into a dags folder, the imports load; the broken one as its stand-in.
    from airflow.dag_processing.dagbag import DagBag

    shutil.copy(LOADER, out / LOADER.name)
    bag = DagBag(dag_folder=str(out))
    assert bag.import_errors == {}
    assert sorted(bag.dag_ids) == sorted(p.name for p in out.iterdir() if p.is_dir())
    assert "dp-airflow:invalid" in bag.dags["broken-one"].tags
    assert bag.dags["params-demo"].params["myWho"] == "moon"


def test_a_second_import_needs_overwrite_and_keeps_the_folders(
    account, moto_server: str, tmp_path: Path, capsys
) -> None:
    out = tmp_path / "imported"
    assert _import(moto_server, out, "--pipeline-id", account["tagged"]) == 0
    assert _import(moto_server, out, "--pipeline-id", account["tagged"]) == 1
    assert "exists (use --overwrite to replace it)" in capsys.readouterr().out
    assert _import(moto_server, out, "--pipeline-id", account["tagged"], "--overwrite") == 0
    assert [p.name for p in out.iterdir()] == ["orders-daily"]
    assert _import(moto_server, out, "--pipeline-id", "df-0000000000000000000") == 1
    assert "FAILED df-0000000000000000000" in capsys.readouterr().out


@pytest.mark.slow
def test_imported_and_ejected_pipelines_run_under_the_real_scheduler(
    account, moto_server: str, tmp_path: Path, capsys
) -> None:
    """The migration path end to end: import into a dags folder, report, take one pipeline
    over as Python, and run both kinds under the DAG processor, scheduler and api-server."""
    from tests.airflow_servers import api_get, api_post, running_airflow, wait_for

    dags = tmp_path / "dags"
    assert _import(moto_server, dags, "--pipeline-id", account["tagged"], account["params"]) == 0
    assert _import(moto_server, dags, "--pipeline-id", account["broken"]) == 0
    shutil.copy(LOADER, dags / LOADER.name)
    capsys.readouterr()
    assert main(["report", str(dags)]) == 0
    report = capsys.readouterr().out
    assert "orders-daily: READY (valid)" in report
    assert "params-demo: NEEDS ACTION" in report and "broken-one: BLOCKED (broken)" in report
    assert "give parameter *myToken a value: an Airflow Variable (params-demo__myToken)" in report
    definition = dags / "params-demo" / "definition.json"
    assert main(["eject", "--out", str(dags / "params_demo.py"), str(definition)]) == 0
    shutil.rmtree(dags / "params-demo")  # the Python file takes the pipeline over
    extra = {
        "AIRFLOW_VAR_PARAMS-DEMO__MYTOKEN": "tok-from-variable"
    }  # Variable params-demo__myToken
    with running_airflow(tmp_path / "home", dags, extra) as env:

        def dag_ids() -> set[str]:
            listed = {d["dag_id"] for d in api_get(env, "/api/v2/dags?limit=100")["dags"]}
            return listed if {"orders-daily", "params-demo", "broken-one"} <= listed else set()

        wait_for(dag_ids, 180, "the imported and ejected DAGs are parsed")
        runs = {
            dag_id: api_post(env, f"/api/v2/dags/{dag_id}/dagRuns", {"logical_date": None})
            for dag_id in ("orders-daily", "params-demo")
        }

        def states() -> dict[str, str] | None:
            found = {
                dag_id: api_get(env, f"/api/v2/dags/{dag_id}/dagRuns/{run['dag_run_id']}")["state"]
                for dag_id, run in runs.items()
            }
            return found if all(s in ("success", "failed") for s in found.values()) else None

        assert wait_for(states, 240, "both runs finish") == {
            "orders-daily": "success",
            "params-demo": "success",
        }
        run_id = runs["params-demo"]["dag_run_id"]
        log = api_get(
            env,
            f"/api/v2/dags/params-demo/dagRuns/{run_id}/taskInstances/Say/logs/1?full_content=true",
        )
        text = json.dumps(log)
        assert "moon ***" in text and "tok-from-variable" not in text  # the secret is masked
        details = api_get(env, "/api/v2/dags/orders-daily/details")
        assert "## Migration report: orders-daily" in details["doc_md"]
        broken = api_get(env, "/api/v2/dags/broken-one")
        assert "dp-airflow:invalid" in [t["name"] for t in broken["tags"]]


def test_an_import_that_fails_mid_way_leaves_the_folder_as_it_was(
    account, moto_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    from dp_airflow.cli import import_command
    from dp_airflow.discovery import discover

    out = tmp_path / "imported"
    assert _import(moto_server, out, "--pipeline-id", account["tagged"]) == 0
    before = {p.name: p.read_bytes() for p in (out / "orders-daily").iterdir()}
    written = import_command._write

    def disk_full(path: Path, content: dict) -> None:
        if path.name == "pipeline.json":
            raise OSError(28, "No space left on device")
        written(path, content)

    monkeypatch.setattr(import_command, "_write", disk_full)
    capsys.readouterr()
    assert _import(moto_server, out, "--pipeline-id", account["tagged"], "--overwrite") == 1
    printed = capsys.readouterr().out
    assert (
        f"FAILED {account['tagged']} (Orders Daily): cannot write {out / 'orders-daily'}" in printed
    )
    assert "No space left on device" in printed
    assert {p.name: p.read_bytes() for p in (out / "orders-daily").iterdir()} == before
    assert [p.name for p in out.iterdir()] == ["orders-daily"]  # no staging folder left
    # A hidden folder (an import in progress) is never taken for a pipeline.
    (out / ".orders-daily.tmp").mkdir()
    (out / ".orders-daily.tmp" / "definition.json").write_text("{}")
    found = discover(out, [p for p in out.rglob("*") if p.is_file()])
    assert [s.dag_id for s in found.sources] == ["orders-daily"]

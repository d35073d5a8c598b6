"""The ``dp-airflow`` command's contract: exit codes, output formats, startup without Airflow."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dp_airflow.cli.main import main

VALID = json.dumps(
    {
        "objects": [
            {"id": "Default", "scheduleType": "ondemand", "workerGroup": "wg"},
            {"id": "Hello", "type": "ShellCommandActivity", "command": "echo hello"},
        ]
    }
)
INVALID = '{"objects": [\n  {"id": "A", "type": "Shel"}\n]}'


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    out = {}
    for name, text in {"good.json": VALID, "bad.json": INVALID}.items():
        out[name] = tmp_path / name
        out[name].write_text(text)
    return out


def test_valid_file_exits_0_and_prints_nothing(files, capsys) -> None:
    assert main(["validate", str(files["good.json"])]) == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "1 valid" in captured.err


def test_invalid_file_exits_1_with_compiler_style_lines(files, capsys) -> None:
    assert main(["validate", str(files["good.json"]), str(files["bad.json"])]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        f"{files['bad.json']}:2:23: error: [A.type] unknown object type 'Shel'",
    ]


def test_json_format_has_one_entry_per_file(files, capsys) -> None:
    assert (
        main(["validate", "--format", "json", str(files["good.json"]), str(files["bad.json"])]) == 1
    )
    report = json.loads(capsys.readouterr().out)
    assert report == [
        {"file": str(files["good.json"]), "valid": True, "diagnostics": []},
        {
            "file": str(files["bad.json"]),
            "valid": False,
            "diagnostics": [
                {
                    "severity": "error",
                    "code": "unknown-type",
                    "object_id": "A",
                    "field": "type",
                    "message": "unknown object type 'Shel'",
                    "line": 2,
                    "column": 23,
                }
            ],
        },
    ]


def test_unreadable_file_exits_2(tmp_path, files, capsys) -> None:
    missing = tmp_path / "missing.json"
    assert main(["validate", "--format", "json", str(files["bad.json"]), str(missing)]) == 2
    report = json.loads(capsys.readouterr().out)
    assert report[1]["file"] == str(missing)
    assert report[1]["diagnostics"][0]["code"] == "unreadable-file"


def test_usage_error_exits_2(capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["validate", "--format", "xml", "x.json"])
    assert exc.value.code == 2


def test_convert_prints_the_api_format(files, capsys) -> None:
    assert main(["convert", "--to", "api", str(files["good.json"])]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["pipelineObjects"][1] == {
        "id": "Hello",
        "name": "Hello",
        "fields": [
            {"key": "command", "stringValue": "echo hello"},
            {"key": "type", "stringValue": "ShellCommandActivity"},
        ],
    }


def test_convert_of_unparseable_file_exits_1(files, capsys, tmp_path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"objects": [')
    assert main(["convert", "--to", "cli", str(broken)]) == 1
    assert "error: JSON: expected a value but the file ends" in capsys.readouterr().err


def test_cli_imports_neither_airflow_nor_boto3_and_starts_fast(files) -> None:
    code = (
        "import sys, time; t = time.perf_counter();"
        "from dp_airflow.cli.main import main;"
        f"rc = main(['validate', {str(files['good.json'])!r}]);"
        "bad = [m for m in ('airflow', 'boto3', 'botocore') if m in sys.modules];"
        "print(rc, bad, time.perf_counter() - t)"
    )
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    rc, bad, _ = out.stdout.split(" ", 2)
    assert (rc, bad) == ("0", "[]")
    assert time.perf_counter() - started < 5  # generous; the measured figure is in the docs


def test_console_script_is_installed() -> None:
    script = Path(sys.executable).parent / "dp-airflow"
    out = subprocess.run(
        [str(script), "validate", "--help"], check=False, capture_output=True, text=True
    )
    assert out.returncode == 0
    assert "usage: dp-airflow validate" in out.stdout


EVAL_DEFINITION = json.dumps(
    {
        "objects": [
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
            {
                "id": "Logs",
                "type": "S3DataNode",
                "directoryPath": "s3://logs/#{format(@scheduledStartTime,'YYYY/MM/dd/HH')}/",
            },
            {
                "id": "Count",
                "type": "ShellCommandActivity",
                "input": {"ref": "Logs"},
                "command": "grep -c GET #{input.directoryPath}",
            },
        ],
        "parameters": [{"id": "myBucket", "default": "b1"}],
    }
)


def test_eval_prints_the_value(capsys) -> None:
    code = main(
        [
            "eval",
            "--at",
            "2011-05-24T17:10:00",
            "s3://x/#{format(@scheduledStartTime,'YYYY-MM-dd')}/#{1 + 2}",
        ]
    )
    assert (code, capsys.readouterr().out) == (0, "s3://x/2011-05-24/3\n")


def test_eval_in_an_object_of_a_definition(tmp_path, capsys) -> None:
    path = tmp_path / "logs.json"
    path.write_text(EVAL_DEFINITION)
    code = main(
        [
            "eval",
            "--at",
            "2024-03-01T05:00:00",
            "--definition",
            str(path),
            "--object",
            "Count",
            "--",
            "#{command} | #{@scheduledEndTime} | #{myBucket}",
        ]
    )
    assert capsys.readouterr().out == (
        "grep -c GET s3://logs/2024/03/01/05/ | 2024-03-01T06:00:00 | b1\n"
    )
    assert code == 0


def test_eval_params_arrays_and_secrets(capsys) -> None:
    code = main(
        [
            "eval",
            "--at",
            "2024-01-01T00:00:00",
            "--param",
            "myIds=a",
            "--param",
            "myIds=b",
            "--param",
            "*myPassword=hunter2",
            "#{myIds}:#{*myPassword}",
        ]
    )
    assert (code, capsys.readouterr().out) == (0, '["a:********", "b:********"]\n')
    main(["eval", "--reveal-secrets", "--param", "*myPassword=hunter2", "#{*myPassword}"])
    assert capsys.readouterr().out == "hunter2\n"


def test_eval_bad_expression_exits_1_with_a_caret(capsys) -> None:
    code = main(["eval", "--at", "2024-01-01T00:00:00", "#{plusDays(@scheduledStartTime)}"])
    assert code == 1
    assert capsys.readouterr().err == (
        "error: plusDays() takes 2 argument(s), 1 given\n"
        "    #{plusDays(@scheduledStartTime)}\n"
        "      ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n"
    )


def test_eval_usage_errors_exit_2(tmp_path, capsys) -> None:
    assert main(["eval", "--at", "yesterday", "x"]) == 2
    assert main(["eval", "--object", "A", "x"]) == 2
    path = tmp_path / "d.json"
    path.write_text(EVAL_DEFINITION)
    assert main(["eval", "--definition", str(path), "--object", "Nope", "x"]) == 2
    assert "no object 'Nope'" in capsys.readouterr().err


def test_eval_imports_neither_airflow_nor_boto3() -> None:
    code = (
        "import sys; from dp_airflow.cli.main import main;"
        "main(['eval', '--at', '2024-01-01T00:00:00', '#{day(@scheduledStartTime)}']);"
        "print([m for m in ('airflow', 'boto3', 'botocore') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout == "1\n[]\n"


SCHEDULED = json.dumps(
    {
        "objects": [
            {
                "id": "Default",
                "scheduleType": "cron",
                "schedule": {"ref": "Every15"},
                "workerGroup": "w",
            },
            {
                "id": "Every15",
                "type": "Schedule",
                "period": "15 minutes",
                "startDateTime": "2024-02-28T23:30:00",
                "occurrences": "4",
            },
            {
                "id": "Monthly",
                "type": "Schedule",
                "period": "1 month",
                "startDateTime": "2024-01-31T00:00:00",
                "endDateTime": "2024-04-01T00:00:00",
            },
            {
                "id": "Report",
                "type": "ShellCommandActivity",
                "command": "x",
                "schedule": {"ref": "Monthly"},
                "scheduleType": "timeseries",
            },
        ]
    }
)


def test_schedule_prints_the_default_objects_instances(tmp_path, capsys) -> None:
    path = tmp_path / "p.json"
    path.write_text(SCHEDULED)
    assert main(["schedule", "--count", "10", str(path)]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["runAt"] for line in lines] == [
        "2024-02-28T23:30:00",
        "2024-02-28T23:45:00",
        "2024-02-29T00:00:00",
        "2024-02-29T00:15:00",
    ]
    assert lines[0] == {
        "scheduledStartTime": "2024-02-28T23:30:00",
        "scheduledEndTime": "2024-02-28T23:45:00",
        "runAt": "2024-02-28T23:30:00",
    }


def test_schedule_of_an_object_after_a_time(tmp_path, capsys) -> None:
    path = tmp_path / "p.json"
    path.write_text(SCHEDULED)
    assert (
        main(["schedule", "--object", "Report", "--after", "2024-03-01T00:00:00", str(path)]) == 0
    )
    assert capsys.readouterr().out.splitlines() == [
        '{"scheduledStartTime": "2024-02-29T00:00:00", "scheduledEndTime": '
        '"2024-03-31T00:00:00", "runAt": "2024-03-31T00:00:00"}',
        '{"scheduledStartTime": "2024-03-31T00:00:00", "scheduledEndTime": '
        '"2024-04-30T00:00:00", "runAt": "2024-04-30T00:00:00"}',
    ]


def test_schedule_of_an_ondemand_pipeline_prints_nothing(files, capsys) -> None:
    assert main(["schedule", str(files["good.json"])]) == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "on-demand" in captured.err


PARAMETERIZED = {
    "objects": [
        {"id": "Default", "scheduleType": "ondemand", "workerGroup": "wg"},
        {"id": "Say", "type": "ShellCommandActivity", "command": "echo #{myWho} #{*myToken}"},
    ],
    "parameters": [{"id": "myWho"}, {"id": "*myToken"}],
}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A pipeline folder as AWS's samples ship it: definition, parameters, values apart."""
    target = tmp_path / "hello"
    target.mkdir()
    split = {"objects": PARAMETERIZED["objects"]}
    (target / "definition.json").write_text(json.dumps(split))
    (target / "parameters.json").write_text(json.dumps({"parameters": PARAMETERIZED["parameters"]}))
    (target / "values.json").write_text(json.dumps({"values": {"myWho": "moon"}}))
    return target


def test_missing_values_are_warnings_that_say_where_to_give_them(folder, capsys) -> None:
    assert main(["validate", str(folder / "definition.json")]) == 0
    out = capsys.readouterr().out
    assert "myWho" not in out  # its value is in values.json beside the definition
    assert (
        "warning: [*myToken] parameter '*myToken' has no value; give one with "
        "--parameter-values *myToken=VALUE, a values file (values.json, <stem>.values.json), "
        "or the Airflow Variable hello__myToken or myToken"
    ) in out


def test_values_from_flags_and_files_are_checked_where_they_are(folder, tmp_path, capsys) -> None:
    values = tmp_path / "other-values.json"
    values.write_text('{"values": {\n  "myWho": ["a", "b"]\n}}')
    code = main(
        [
            "validate",
            str(folder),
            "--parameter-values-uri",
            str(values),
            "--parameter-values",
            "*myToken=x",
            "myWhoo=1",
        ]
    )
    assert code == 1
    assert capsys.readouterr().out.splitlines() == [
        f"{values}:2:3: error: [myWho.value] 2 values for a parameter that is not an array "
        '(set "isArray": "true")',
        "--parameter-values: warning: [myWhoo] value for 'myWhoo', which is not a declared "
        "parameter (did you mean 'myWho'?)",
    ]


def test_a_malformed_parameter_value_is_a_usage_error(folder, capsys) -> None:
    assert main(["validate", str(folder), "--parameter-values", "myWho"]) == 2
    assert "--parameter-values takes ID=VALUE, not 'myWho'" in capsys.readouterr().err


def test_convert_merges_and_splits_without_writing_masked_secrets(folder, tmp_path, capsys) -> None:
    code = main(
        [
            "convert",
            "--to",
            "cli",
            "--merged",
            str(folder / "definition.json"),
            "--param",
            "*myToken=t0k",
        ]
    )
    assert code == 0
    merged = json.loads(capsys.readouterr().out)
    assert merged["parameters"] == PARAMETERIZED["parameters"]
    assert merged["values"] == {"myWho": "moon", "*myToken": "********"}
    out = tmp_path / "split"
    assert (
        main(
            ["convert", "--to", "cli", "--split", str(out), "--param", "*myToken=t0k", str(folder)]
        )
        == 0
    )
    assert json.loads((out / "values.json").read_text()) == {"values": {"myWho": "moon"}}
    assert json.loads((out / "definition.json").read_text())["objects"][1]["id"] == "Say"
    assert "parameters" not in json.loads((out / "definition.json").read_text())


def test_eval_and_schedule_read_the_values_beside_the_definition(folder, capsys) -> None:
    definition = str(folder / "definition.json")
    args = ["eval", "--definition", definition, "--object", "Say", "#{myWho}"]
    assert main(args) == 0
    assert capsys.readouterr().out == "moon\n"
    assert main([*args[:-1], "--parameter-values", "myWho=sun", "--", "#{myWho}"]) == 0
    assert capsys.readouterr().out == "sun\n"


def test_operating_commands_name_the_call_when_the_api_is_unreachable(capsys) -> None:
    from tests.airflow_servers import free_port

    url = f"http://127.0.0.1:{free_port()}"
    assert main(["runs", "hello", "--api-url", url, "--token", "t"]) == 2
    assert capsys.readouterr().err.startswith(
        f"dp-airflow runs: GET /api/v2/dags/hello/dagRuns?limit=100&order_by=logical_date: "
        f"cannot reach {url}"
    )
    assert main(["activate", "hello", "--api-url", url, "--token", "t"]) == 2
    assert "PATCH /api/v2/dags/hello: cannot reach" in capsys.readouterr().err


def test_report_gives_verdicts_actions_and_field_treatments(
    folder, files, tmp_path, capsys
) -> None:
    paths = [str(folder), str(files["good.json"]), str(files["bad.json"])]
    assert main(["report", *paths]) == 0
    text = capsys.readouterr().out
    assert "hello: NEEDS ACTION (warnings)" in text
    assert "action: give parameter *myToken a value: an Airflow Variable (hello__myToken)" in text
    assert "good: READY (valid)" in text and "bad: BLOCKED (broken)" in text
    assert "3 pipeline(s): 1 blocked, 1 needs action, 1 ready" in text
    assert (
        "note: workerGroup queues wg: under the CeleryExecutor a worker must serve them "
        "(airflow celery worker --queues wg,default)"
    ) in text
    assert main(["report", "--format", "json", *paths]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["summary"]["verdicts"] == {"needs action": 1, "ready": 1, "blocked": 1}
    (hello,) = [p for p in data["pipelines"] if p["dag_id"] == "hello"]
    (say,) = [o for o in hello["objects"] if o["id"] == "Say"]
    assert {"name": "command", "treatment": "native"}.items() <= say["fields"][0].items()
    out = tmp_path / "report.html"
    assert main(["report", "--format", "html", "--out", str(out), *paths]) == 0
    assert capsys.readouterr().out == f"{out}\n"
    page = out.read_text()
    assert page.startswith("<!doctype html>") and "<style>" in page
    assert "src=" not in page and "href='http" not in page  # one self-contained file
    assert main(["report", "--format", "markdown", *paths]) == 0
    assert capsys.readouterr().out.startswith("# Migration report")


def test_report_quotes_why_a_definition_that_validates_cannot_be_translated(
    tmp_path, capsys
) -> None:
    definition = tmp_path / "no-period.json"
    definition.write_text(
        json.dumps(
            {
                "objects": [
                    {"id": "Default", "scheduleType": "cron", "schedule": {"ref": "Every"}},
                    {
                        "id": "Every",
                        "type": "Schedule",
                        "period": "#{myPeriod}",
                        "startDateTime": "2024-01-01T00:00:00",
                    },
                    {
                        "id": "Say",
                        "type": "ShellCommandActivity",
                        "command": "echo",
                        "workerGroup": "w",
                    },
                ],
                "parameters": [{"id": "myPeriod", "type": "String"}],
            }
        )
    )
    why = "Every: parameter 'myPeriod' has no value: a schedule needs it when the DAG is parsed"
    assert main(["report", str(definition)]) == 0
    text = capsys.readouterr().out
    assert "no-period: BLOCKED (broken)" in text
    assert f"action: fix: {definition}: error: {why}" in text
    assert "validation error" not in text  # it has none to fix
    assert main(["report", "--format", "json", str(definition)]) == 0
    (pipeline,) = json.loads(capsys.readouterr().out)["pipelines"]
    assert any(why in line for line in pipeline["rendered"])
    assert main(["report", "--format", "markdown", str(definition)]) == 0
    assert f"- fix: {definition}: error: {why}" in capsys.readouterr().out

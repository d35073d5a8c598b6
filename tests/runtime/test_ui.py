"""The Data Pipelines view in the real api-server: who may see what, what the pages say (read in
headless Chromium), and that no secret value ever appears."""

from __future__ import annotations

import json
import os
import shutil
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.airflow_servers import running_airflow, wait_for
from tests.browser import chromium, rendered_text

ROOT = Path(__file__).parents[2]
SECRET = "s3cr3t-ui-9d41"


def _definition(command: str, extra: dict | None = None) -> str:
    return json.dumps(
        {
            "objects": [
                {"id": "Default", "scheduleType": "ondemand", "workerGroup": "wg"},
                {"id": "Say", "type": "ShellCommandActivity", "command": command, **(extra or {})},
            ],
            "parameters": [{"id": "myWho", "default": "world"}],
        },
        indent=2,
    )


def _dags(root: Path) -> Path:
    dags = root / "dags"
    dags.mkdir()
    shutil.copy(ROOT / "dags" / "dp_airflow_loader.py", dags)
    (dags / "hello.json").write_text(_definition("echo #{myWho}", {"*token": SECRET}))
    (dags / "hidden-report.json").write_text(_definition("echo hidden"))
    (dags / "broken.json").write_text('{"objects": [\n  {"id": "A", "type": "Shel"}\n]}\n')
    return dags


def _get(env: dict[str, str], path: str, token: str | None) -> tuple[int, str]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    request = urllib.request.Request(env["DP_AIRFLOW_TEST_API"] + path, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def _token(env: dict[str, str], user: str) -> str:
    request = urllib.request.Request(
        env["DP_AIRFLOW_TEST_API"] + "/auth/token",
        data=json.dumps({"username": user, "password": f"{user}-pw"}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        return str(json.loads(answer.read())["access_token"])


@pytest.mark.slow
@pytest.mark.skipif(chromium() is None, reason="make test installs Debian's chromium")
def test_the_data_pipelines_view(tmp_path: Path) -> None:
    dags = _dags(tmp_path)
    passwords = tmp_path / "passwords.json"
    passwords.write_text(json.dumps({"admin": "admin-pw", "bob": "bob-pw"}))
    extra = {
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "False",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin,bob:viewer",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
        "AIRFLOW__CORE__AUTH_MANAGER": "tests.restricted_auth_manager.RestrictedAuthManager",
        "PYTHONPATH": f"{ROOT}:{os.environ.get('PYTHONPATH', '')}",
    }
    with running_airflow(tmp_path / "home", dags, extra) as env:
        admin, bob = _token(env, "admin"), _token(env, "bob")

        def listed(token: str) -> list[dict]:
            status, body = _get(env, "/data-pipelines/api/pipelines", token)
            return json.loads(body) if status == 200 else []

        wait_for(lambda: len(listed(admin)) == 3, 120, "the DAG processor parsed all three")
        # Anonymous: nothing, pages included.
        for path in (
            "/data-pipelines/api/pipelines",
            "/data-pipelines/",
            "/data-pipelines/dags/hello",
        ):
            assert _get(env, path, None)[0] in (401, 403), path
        everything = {p["dag_id"]: p for p in listed(admin)}
        assert sorted(everything) == ["broken", "hello", "hidden-report"]
        broken = everything["broken"]
        assert broken["valid"] is False and broken["state"] == "broken"
        ((diagnostic),) = [d for d in broken["diagnostics"] if d["severity"] == "error"]
        assert (diagnostic["code"], diagnostic["line"], diagnostic["column"]) == (
            "unknown-type",
            2,
            23,
        )
        # bob may not read hidden-*: not listed, its page and record are not found.
        assert sorted(p["dag_id"] for p in listed(bob)) == ["broken", "hello"]
        assert _get(env, "/data-pipelines/api/pipelines/hidden-report", bob)[0] == 404
        assert _get(env, "/data-pipelines/dags/hidden-report", bob)[0] == 404
        status, detail = _get(env, "/data-pipelines/api/pipelines/hello", admin)
        record = json.loads(detail)
        assert status == 200 and record["objects"][1]["became"][0]["operator"] == (
            "ShellCommandActivityOperator"
        )
        assert record["parameters"][0] == {
            "id": "myWho",
            "source": "default",
            "value": ["world"],
            "variable": "<dag id>__myWho",
        }
        # The pages as a browser renders them.
        base = env["DP_AIRFLOW_TEST_API"]
        shots = tmp_path / "shots"
        shots.mkdir()
        list_text, page_text = rendered_text(
            [f"{base}/data-pipelines/", f"{base}/data-pipelines/dags/hello"],
            ("_token", admin, f"{base}/"),
            shots,
        )
        assert "Data Pipelines" in list_text and "broken (1)" in list_text
        assert (
            f"{dags / 'broken.json'}:2:23: error: [A.type] unknown object type 'Shel'" in list_text
        )
        assert "hidden-report" in list_text
        assert "ShellCommandActivityOperator (queue wg, retries 2)" in page_text
        assert "Translation report" in page_text and "native" in page_text
        assert '"*token": "********"' in page_text
        for text in (list_text, page_text, detail, json.dumps(everything)):
            assert SECRET not in text
        plugins = json.loads(_get(env, "/api/v2/plugins", admin)[1])["plugins"]
        (ours,) = [p for p in plugins if p["name"] == "dp_airflow"]
        assert {v["name"]: v["destination"] for v in ours["external_views"]} == {
            "Data Pipelines": "nav",
            "Definition": "dag",
        }

"""Deployment files, checked statically (no container engine runs here): docker/ matches the
topology the Celery test runs and the locked Airflow; the MWAA artefacts hold what MWAA needs."""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib
import zipfile
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).parents[1]
DOCKER = ROOT / "docker"
AIRFLOW_SERVICES = {
    "airflow-apiserver": "api-server",
    "airflow-scheduler": "scheduler",
    "airflow-dag-processor": "dag-processor",
    "airflow-triggerer": "triggerer",
    "airflow-init": "db migrate",
}


def _locked_airflow() -> str:
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    (version,) = [p["version"] for p in lock["package"] if p["name"] == "apache-airflow"]
    return str(version)


def _compose() -> dict:
    return yaml.safe_load((DOCKER / "docker-compose.yaml").read_text())


def test_the_image_extends_the_official_one_at_the_locked_airflow() -> None:
    dockerfile = (DOCKER / "Dockerfile").read_text()
    version = _locked_airflow()
    assert f"ARG AIRFLOW_VERSION={version}" in dockerfile
    assert "FROM apache/airflow:${AIRFLOW_VERSION}-python${PYTHON_VERSION}" in dockerfile
    # Airflow pinned in the same pip command that installs dp-airflow, as the image requires.
    (install,) = [line for line in dockerfile.splitlines() if line.startswith("RUN pip install")]
    assert (
        '"apache-airflow==${AIRFLOW_VERSION}"' in install and "/opt/dp-airflow[celery]" in install
    )
    for copied in re.findall(r"^COPY \S+ (.+) /opt/dp-airflow/", dockerfile, re.MULTILINE):
        for name in copied.split():
            assert (ROOT / name).exists(), name
    common = _compose()["x-airflow-common"]
    assert common["build"]["args"]["AIRFLOW_VERSION"] == version
    assert common["image"] == f"dp-airflow:{version}"


def test_the_compose_file_runs_the_topology_of_the_celery_test() -> None:
    compose = _compose()
    services = compose["services"]
    assert set(services) == {
        *AIRFLOW_SERVICES,
        "airflow-worker",
        "postgres",
        "redis",
        "moto",
        "examples-seed",
    }
    for name, command in AIRFLOW_SERVICES.items():
        assert services[name]["command"] == command, name
        assert services[name]["build"]["dockerfile"] == "docker/Dockerfile", name
    environment = compose["x-airflow-common"]["environment"]
    assert environment["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    assert environment["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://:@redis:6379/")
    assert "@postgres/airflow" in environment["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
    assert "@postgres/airflow" in environment["AIRFLOW__CELERY__RESULT_BACKEND"]
    assert '"endpoint_url": "http://moto:5000"' in environment["AIRFLOW_CONN_AWS_DEFAULT"]
    volumes = compose["x-airflow-common"]["volumes"]
    assert "../dags/dp_airflow_loader.py:/opt/airflow/dags/dp_airflow_loader.py:ro" in volumes
    assert "../examples:/opt/airflow/dags/examples:ro" in volumes
    for volume in volumes:
        source = volume.split(":")[0]
        assert source == "./logs" or (DOCKER / source).resolve().exists(), volume
    ignored = (DOCKER / "dags" / ".airflowignore").read_text()
    assert "examples/.*\\.py" in ignored  # the examples' scripts are not DAG files


def test_the_worker_serves_every_queue_the_examples_use() -> None:
    from dp_airflow.plan.translation import source_for, translate_source

    command = _compose()["services"]["airflow-worker"]["command"]
    assert command.startswith("celery worker --queues ")
    served = set(command.split("--queues ")[1].split()[0].split(","))
    used = {
        task.queue or "default"
        for example in sorted((ROOT / "examples").glob("*.json"))
        for spec, _ in translate_source(source_for(example))
        for task in spec.tasks
    }
    assert used <= served, used - served


def test_mwaa_artefacts_hold_the_wheel_the_constraint_and_the_loader(tmp_path: Path) -> None:
    import sys

    sys.path.insert(0, str(ROOT / "mwaa"))
    from build_artifacts import build

    uv = shutil.which("uv") or str(ROOT / ".tools" / "bin" / "uv")
    if not Path(uv).exists():
        pytest.fail("uv is missing: `make test` installs it in .tools/")
    wheels = tmp_path / "wheel"
    subprocess.run([uv, "build", "-q", "--wheel", "--out-dir", str(wheels), str(ROOT)], check=True)
    out = tmp_path / "mwaa"
    build("3.3.1", "3.12", wheels, out)
    (wheel,) = wheels.glob("*.whl")
    with zipfile.ZipFile(out / "plugins.zip") as plugins:
        assert plugins.namelist() == [wheel.name]
    assert (out / "requirements.txt").read_text().splitlines() == [
        '--constraint "https://raw.githubusercontent.com/apache/airflow/constraints-3.3.1/'
        'constraints-3.12.txt"',
        f"/usr/local/airflow/plugins/{wheel.name}",
    ]
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        assert "dp_airflow/loader.py" in names
        (entry_points,) = [n for n in names if n.endswith("entry_points.txt")]
        text = archive.read(entry_points).decode()
        assert "[airflow.plugins]" in text and "dp_airflow.plugin:DataPipelinePlugin" in text
        (metadata,) = [n for n in names if n.endswith("METADATA")]
        assert "Requires-Dist: apache-airflow<3.4,>=3.0.6" in archive.read(metadata).decode()
    assert (out / "dags" / "dp_airflow_loader.py").read_text() == (
        ROOT / "dags" / "dp_airflow_loader.py"
    ).read_text()
    assert (out / "dags" / ".airflowignore").is_file()

"""Amazon MWAA artefacts for dp-airflow (``make mwaa``).

Writes to ``--out``: ``plugins.zip`` holding the dp-airflow wheel, ``requirements.txt`` (MWAA's
required ``--constraint`` line for the environment's Airflow and Python, then the wheel as MWAA
unpacks it under /usr/local/airflow/plugins/), and ``dags/`` with the loader and an
``.airflowignore``: upload the three to the environment's S3 bucket.
"""

from __future__ import annotations

import argparse
import shutil
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONSTRAINTS = "https://raw.githubusercontent.com/apache/airflow/constraints-{airflow}/constraints-{python}.txt"
AIRFLOWIGNORE = """\
# Airflow parses only .py files as DAG files; dp-airflow's loader (dp_airflow_loader.py) reads
# the Data Pipeline definitions beside it and in subfolders, and honours this file too: list
# here the folders neither should read.
"""


def build(airflow: str, python: str, wheel_dir: Path, out: Path) -> list[Path]:
    (wheel,) = sorted(wheel_dir.glob("dp_airflow-*.whl"))
    out.mkdir(parents=True, exist_ok=True)
    plugins = out / "plugins.zip"
    with zipfile.ZipFile(plugins, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(wheel, wheel.name)
    requirements = out / "requirements.txt"
    requirements.write_text(
        f'--constraint "{CONSTRAINTS.format(airflow=airflow, python=python)}"\n'
        f"/usr/local/airflow/plugins/{wheel.name}\n"
    )
    dags = out / "dags"
    dags.mkdir(exist_ok=True)
    shutil.copy(ROOT / "dags" / "dp_airflow_loader.py", dags / "dp_airflow_loader.py")
    (dags / ".airflowignore").write_text(AIRFLOWIGNORE)
    return [plugins, requirements, dags / "dp_airflow_loader.py", dags / ".airflowignore"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--airflow", required=True, help="the environment's Airflow version")
    parser.add_argument("--python", required=True, help="the environment's Python (3.12)")
    parser.add_argument("--wheel-dir", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    for path in build(args.airflow, args.python, args.wheel_dir, args.out):
        print(path)


if __name__ == "__main__":
    main()

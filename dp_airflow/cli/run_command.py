"""``dp-airflow run``: one instance of a pipeline through real Airflow, here and now.

The DAG is the one the dags-folder loader builds. Without a configured AIRFLOW_HOME a throwaway
one with SQLite is made. Airflow's own output goes to stderr; stdout carries the report only.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any, TextIO

from dp_airflow.definition.slots import LiteralError, parse_datetime


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "run",
        help="run one instance of a pipeline through Airflow",
        description="Run one instance of the pipeline through real Airflow (the DAG the loader "
        "builds), printing each task's outcome. Exit 0 when every task succeeded, 1 otherwise.",
    )
    parser.add_argument(
        "--at", metavar="DATETIME", help="a time inside the instance to run (default: now)"
    )
    parser.add_argument(
        "--param",
        metavar="ID=VALUE",
        action="append",
        default=[],
        help="a parameter value (repeat an id for an array)",
    )
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument("file", metavar="FILE")


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from dp_airflow.cli.eval_command import UsageError, _params
    from dp_airflow.definition.validate import validate_file
    from dp_airflow.errors import UnreadableFileError

    try:
        params = _params(args.param)
        at = parse_datetime(args.at.removesuffix("Z")) if args.at else None
        result = validate_file(args.file)
    except (UsageError, LiteralError, UnreadableFileError) as exc:
        print(f"dp-airflow run: {exc}", file=err)
        return 2
    errors = [d for d in result.diagnostics if d.is_error]
    if errors or not result.definitions:
        for diagnostic in errors:
            print(diagnostic.render(), file=err)
        return 1
    _prepare_home()
    with contextlib.redirect_stdout(err):
        report = _run(Path(args.file), at, params)
    if args.format == "json":
        json.dump(report, out, indent=2)
        out.write("\n")
    else:
        for object_id, state in report["objects"].items():
            print(f"{object_id}: {state}", file=out)
        print(f"{report['dag_id']}: {report['state']}", file=out)
    return 0 if report["state"] == "success" else 1


def _prepare_home() -> None:
    """A throwaway Airflow home with SQLite unless the user configured one."""
    if "AIRFLOW_HOME" in os.environ:
        return
    home = Path(tempfile.mkdtemp(prefix="dp-airflow-run-"))
    (home / "dags").mkdir()
    os.environ.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home}/airflow.db",
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_FOLDER": str(home / "dags"),
            "DP_AIRFLOW_THROWAWAY_HOME": "1",
        }
    )


def _run(path: Path, at: Any, params: dict[str, tuple[str, ...]]) -> dict[str, Any]:
    import pendulum
    from airflow.dag_processing.bundles.manager import DagBundlesManager
    from airflow.dag_processing.dagbag import DagBag, sync_bag_to_db
    from airflow.utils import db

    from dp_airflow.loader import build_dags

    if os.environ.get("DP_AIRFLOW_THROWAWAY_HOME"):
        db.initdb()
    (dag,) = build_dags(path, catchup=False)[:1]
    DagBundlesManager().sync_bundles_to_db()  # type: ignore[no-untyped-call]
    bag = DagBag(dag_folder=os.devnull, collect_dags=False)
    bag.bag_dag(dag)
    sync_bag_to_db(bag, "dags-folder", None)
    conf = {key: list(values) if len(values) > 1 else values[0] for key, values in params.items()}
    moment = pendulum.instance(at) if at is not None else pendulum.now("UTC")
    run = dag.test(logical_date=moment, run_conf=conf or None)
    objects: dict[str, str] = {}
    for ti in sorted(run.get_task_instances(), key=lambda t: (t.start_date is None, t.start_date)):
        object_id = getattr(dag.task_dict[ti.task_id], "object_id", None)
        if object_id is not None:  # a cluster's teardown is not an object of its own
            objects[object_id] = str(ti.state or "none")
    state = str(run.state)
    return {"dag_id": dag.dag_id, "state": state, "objects": objects}

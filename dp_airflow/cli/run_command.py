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
from typing import TYPE_CHECKING, Any, TextIO

from dp_airflow.model.slots import LiteralError, parse_datetime

if TYPE_CHECKING:
    from dp_airflow.validate.validation import ValidationResult


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The ``run`` subcommand and its options."""
    from dp_airflow.cli.parameter_flags import add_parameter_flags

    parser = commands.add_parser(
        "run",
        help="run one instance of a pipeline through Airflow",
        description="Run one instance of the pipeline through real Airflow (the DAG the loader "
        "builds), printing each task's outcome. Exit 0 when every task succeeded, 1 otherwise.",
    )
    parser.add_argument(
        "--at", metavar="DATETIME", help="a time inside the instance to run (default: now)"
    )
    add_parameter_flags(parser)
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument("file", metavar="FILE")


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Run a definition's first pipeline once with ``dag.test()``; the exit code."""
    from dp_airflow.cli.parameter_flags import parameter_inputs
    from dp_airflow.errors import UnreadableFileError
    from dp_airflow.read.inputs import read_pipeline
    from dp_airflow.validate.validation import validate_loaded

    try:
        at = parse_datetime(args.at.removesuffix("Z")) if args.at else None
        inputs = parameter_inputs(args, args.file)
        result = validate_loaded(read_pipeline(args.file, inputs), build_models=False)
    except (LiteralError, UnreadableFileError) as exc:
        print(f"dp-airflow run: {exc}", file=err)
        return 2
    errors = [d for d in result.diagnostics if d.is_error]
    if not errors and not os.environ.get("AIRFLOW_HOME"):
        # In a throwaway home the only Airflow Variables are the process's AIRFLOW_VAR_*.
        errors = [d for d in result.diagnostics if _missing_everywhere(d, result)]
    if errors or not result.definitions:
        for diagnostic in errors:
            print(diagnostic.render().replace(": warning: ", ": error: ", 1), file=err)
        return 1
    _prepare_home()
    with contextlib.redirect_stdout(err):
        report = _run(result, at)
    if args.format == "json":
        json.dump(report, out, indent=2)
        out.write("\n")
    else:
        for object_id, state in report["objects"].items():
            print(f"{object_id}: {state} ({report['status'][object_id]})", file=out)
        print(f"{report['dag_id']}: {report['state']}", file=out)
    return 0 if report["state"] == "success" else 1


def _missing_everywhere(diagnostic: Any, result: ValidationResult) -> bool:
    """A missing value that no ``AIRFLOW_VAR_`` environment variable supplies either."""
    if diagnostic.code != "parameter-missing-value" or diagnostic.object_id is None:
        return False
    from dp_airflow.discovery import dag_id_for

    name = diagnostic.object_id.removeprefix("*")
    dag_id = dag_id_for(result.file)
    keys = (f"AIRFLOW_VAR_{dag_id}__{name}".upper(), f"AIRFLOW_VAR_{name}".upper())
    return not any(key in os.environ for key in keys)


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


def _run(result: ValidationResult, at: Any) -> dict[str, Any]:
    """Run the first pipeline of a validated file once. Values given on the command line are
    in the pipeline's runtime (in memory), not in the run's conf: secrets never reach the DB."""
    import pendulum
    from airflow.dag_processing.bundles.manager import DagBundlesManager
    from airflow.dag_processing.dagbag import DagBag, sync_bag_to_db
    from airflow.utils import db

    from dp_airflow.discovery import dag_id_for
    from dp_airflow.plan.translation import translate_validated
    from dp_airflow.render.dag import render_dag
    from dp_airflow.runtime.attempt_fields import status_in_run

    if os.environ.get("DP_AIRFLOW_THROWAWAY_HOME"):
        db.initdb()
    spec, runtime = translate_validated(dag_id_for(result.file), result)[0]
    dag = render_dag(spec, runtime, catchup=False)
    DagBundlesManager().sync_bundles_to_db()  # type: ignore[no-untyped-call]
    bag = DagBag(dag_folder=os.devnull, collect_dags=False)
    bag.bag_dag(dag)
    sync_bag_to_db(bag, "dags-folder", None)
    moment = pendulum.instance(at) if at is not None else pendulum.now("UTC")
    run = dag.test(logical_date=moment)
    instances = sorted(run.get_task_instances(), key=lambda t: (t.start_date is None, t.start_date))
    states = {ti.task_id: str(ti.state or "none") for ti in instances}
    objects: dict[str, str] = {}
    statuses: dict[str, str] = {}
    for ti in instances:
        task = dag.task_dict[ti.task_id]
        object_id = getattr(task, "object_id", None)
        if object_id is None:  # a cluster's teardown is not an object of its own
            continue
        objects[object_id] = states[ti.task_id]
        cascading = getattr(task, "cascade", False)
        statuses[object_id] = status_in_run(states, ti.task_id, task.upstream_task_ids, cascading)
    state = str(run.state)
    return {"dag_id": dag.dag_id, "state": state, "objects": objects, "status": statuses}

"""``dp-airflow eject``: write a definition's DAG as a Python DAG file a team can take over.

``--out F.py`` for a definition with one pipeline; otherwise ``--out`` is a folder (default: the
current one) that receives ``<dag id>.py`` per pipeline. Each file is written whole or not at all.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path
from typing import TextIO


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The ``eject`` subcommand and its options."""
    parser = commands.add_parser(
        "eject",
        help="write the DAG of a definition as an Airflow DAG file in Python",
        description="Write an idiomatic Airflow DAG file that builds the DAG the loader builds "
        "from FILE (its parameters and values files read beside it), with dp-airflow's "
        "operators and their arguments written out. Secret values are not written: the file "
        "names the Airflow Variables to hold them. Exit 0, 1 when the definition has errors.",
    )
    parser.add_argument(
        "--out",
        default=".",
        metavar="PATH",
        help="the .py file to write (one pipeline), or a folder for <dag id>.py files",
    )
    parser.add_argument(
        "--catchup",
        action="store_true",
        help="write catchup=True (as the loader does with AIRFLOW__DP_AIRFLOW__CATCHUP)",
    )
    parser.add_argument("file", metavar="FILE")


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Write the Python DAG file of each pipeline of ``args.file``; the exit code."""
    from dp_airflow.errors import DefinitionError
    from dp_airflow.render.eject import eject_file

    try:
        ejected = eject_file(Path(args.file), catchup=args.catchup)
    except DefinitionError as exc:
        print("\n".join(d.render() for d in exc.diagnostics), file=err)
        print(f"dp-airflow eject: {args.file} has errors; nothing written", file=err)
        return 1
    target = Path(args.out)
    if target.suffix == ".py" and len(ejected) > 1:
        print(
            f"dp-airflow eject: {args.file} holds {len(ejected)} pipelines; give --out a folder",
            file=err,
        )
        return 2
    for item in ejected:
        path = target if target.suffix == ".py" else target / f"{item.dag_id}.py"
        _write(path, item.text)
        print(f"{item.dag_id}: {path}", file=out)
        for name in item.variables:
            print(f"  secret: give the Airflow Variable {name}", file=out)
    return 0


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(handle, "w", encoding="utf-8") as file:
        file.write(text)
    os.chmod(temporary, 0o644)
    os.replace(temporary, path)

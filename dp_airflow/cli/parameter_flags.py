"""The AWS CLI's parameter flags, shared by every command that reads a definition.

``--parameter-objects FILE`` replaces the definition's parameters, ``--parameter-values-uri
FILE`` and ``--parameter-values ID=VALUE …`` (or ``--param ID=VALUE``, repeatable) supply values.
Without the file flags, the files beside the definition are read (``parameters.json`` and
``values.json`` in a pipeline folder, ``<stem>.parameters.json`` and ``<stem>.values.json``).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dp_airflow.read.inputs import PipelineInputs


def add_parameter_flags(parser: argparse.ArgumentParser, short_form: bool = True) -> None:
    """The parameter and values-file options shared by several commands."""
    parser.add_argument(
        "--parameter-objects",
        metavar="FILE",
        help='parameter declarations ({"parameters": [...]}); they replace the definition\'s',
    )
    parser.add_argument(
        "--parameter-values-uri",
        metavar="FILE",
        help='parameter values ({"values": {...}}), above the definition\'s own values',
    )
    parser.add_argument(
        "--parameter-values",
        metavar="ID=VALUE",
        nargs="+",
        action="extend",
        default=[],
        help="parameter values, above every file (repeat an id for an array); '*' ids are secrets",
    )
    if short_form:
        parser.add_argument(
            "--param",
            metavar="ID=VALUE",
            action="append",
            default=[],
            help="the same as one --parameter-values ID=VALUE",
        )


def parameter_inputs(args: argparse.Namespace, definition: str | Path) -> PipelineInputs:
    """The inputs of ``definition``: its companion files, overridden by the flags."""
    from dp_airflow.discovery import FOLDER_DEFINITION
    from dp_airflow.read.inputs import PipelineInputs

    path = Path(definition)
    if path.is_dir():
        path = path / FOLDER_DEFINITION
    inline = (*args.parameter_values, *getattr(args, "param", []))
    return PipelineInputs.beside(path).overridden(
        args.parameter_objects, args.parameter_values_uri, tuple(inline)
    )

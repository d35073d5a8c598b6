"""``dp-airflow``: validate, convert and evaluate Data Pipeline definitions.

Exit codes: 0 success, 1 a definition has errors, 2 usage errors or unreadable files. Nothing
here imports Airflow or boto3, so the commands answer in a fraction of a second.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from dp_airflow.diagnostics import Diagnostic

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    """The ``dp-airflow`` argument parser with every subcommand."""
    from dp_airflow.cli.parameter_flags import add_parameter_flags

    parser = argparse.ArgumentParser(
        prog="dp-airflow",
        description="Run AWS Data Pipeline definitions on Apache Airflow.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    validate = commands.add_parser(
        "validate",
        help="check definitions and report every problem with its place",
        description="Check Data Pipeline definitions (CLI file format, API format or "
        "CloudFormation). Exit 0 when every file is valid (warnings allowed), 1 when any file "
        "has an error, 2 for usage errors or unreadable files.",
    )
    validate.add_argument("--format", choices=("text", "json"), default="text")
    add_parameter_flags(validate)
    validate.add_argument("files", nargs="+", metavar="FILE")

    convert = commands.add_parser(
        "convert",
        help="print a definition in the CLI file format or the API format",
        description="Print a definition in the other format, as the AWS CLI translates it.",
    )
    convert.add_argument("--to", choices=("cli", "api"), required=True)
    convert.add_argument(
        "--pipeline",
        metavar="NAME",
        help="the CloudFormation resource to convert when a template has several",
    )
    convert.add_argument(
        "--reveal-secrets",
        action="store_true",
        help="print literal values of '*' fields instead of masking them",
    )
    layout = convert.add_mutually_exclusive_group()
    layout.add_argument(
        "--merged",
        action="store_true",
        help="include the parameters and values files (and --parameter-values) in the output",
    )
    layout.add_argument(
        "--split",
        metavar="DIR",
        help="write a pipeline folder instead: DIR/definition.json, parameters.json, values.json",
    )
    add_parameter_flags(convert)
    convert.add_argument("file", metavar="FILE")

    from dp_airflow.cli import (
        eject_command,
        eval_command,
        import_command,
        operate_command,
        run_command,
        schedule_command,
    )

    eval_command.add_parser(commands)
    import_command.add_parser(commands)
    report = commands.add_parser(
        "report",
        help="a migration report: readiness, what each field becomes, what needs your action",
        description="For every pipeline under the paths (files or folders, pipeline folders and "
        "imports included): whether it validates, objects by type, each field native, "
        "approximated or ignored (with the reason), the actions it needs, and a verdict (ready, "
        "needs action, blocked). Exit 0.",
    )
    report.add_argument("--format", choices=("text", "json", "markdown", "html"), default="text")
    report.add_argument("--out", metavar="FILE", help="write the report here instead of stdout")
    report.add_argument("paths", nargs="+", metavar="PATH")
    schedule_command.add_parser(commands)
    run_command.add_parser(commands)
    operate_command.add_parsers(commands)
    eject_command.add_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one ``dp-airflow`` command; the exit code (0, 1 invalid input, 2 usage)."""
    args = build_parser().parse_args(argv)
    from dp_airflow.read.inputs import InputError

    try:
        if args.command == "validate":
            return _validate(args, sys.stdout, sys.stderr)
        if args.command == "eval":
            from dp_airflow.cli import eval_command

            return eval_command.run(args, sys.stdout, sys.stderr)
        if args.command == "schedule":
            from dp_airflow.cli import schedule_command

            return schedule_command.run(args, sys.stdout, sys.stderr)
        if args.command == "run":
            from dp_airflow.cli import run_command

            return run_command.run(args, sys.stdout, sys.stderr)
        if args.command == "report":
            return _report(args, sys.stdout)
        if args.command == "import":
            from dp_airflow.cli import import_command

            return import_command.run(args, sys.stdout, sys.stderr)
        if args.command == "eject":
            from dp_airflow.cli import eject_command

            return eject_command.run(args, sys.stdout, sys.stderr)
        if args.command in ("runs", "activate", "deactivate"):
            from dp_airflow.cli import operate_command

            return operate_command.run(args, sys.stdout, sys.stderr)
        return _convert(args, sys.stdout, sys.stderr)
    except InputError as exc:
        print(f"dp-airflow {args.command}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, as Unix tools do.
        sys.stderr.close()
        return EXIT_OK


def _validate(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from dp_airflow.cli.parameter_flags import parameter_inputs
    from dp_airflow.errors import UnreadableFileError
    from dp_airflow.read.inputs import read_pipeline
    from dp_airflow.validate.validation import validate_loaded

    files, output = args.files, args.format
    reports: list[dict[str, Any]] = []
    status = EXIT_OK
    counts = {"valid": 0, "invalid": 0, "errors": 0, "warnings": 0}
    for name in files:
        try:
            result = validate_loaded(read_pipeline(name, parameter_inputs(args, name)))
        except UnreadableFileError as exc:
            status = EXIT_USAGE
            reports.append(
                {
                    "file": name,
                    "valid": False,
                    "diagnostics": [
                        {
                            "severity": "error",
                            "code": "unreadable-file",
                            "object_id": None,
                            "field": None,
                            "message": str(exc).removeprefix(f"{name}: "),
                            "line": None,
                            "column": None,
                        }
                    ],
                }
            )
            if output == "text":
                print(f"{exc}", file=err)
            continue
        if not result.valid and status == EXIT_OK:
            status = EXIT_INVALID
        counts["valid" if result.valid else "invalid"] += 1
        counts["errors"] += sum(d.is_error for d in result.diagnostics)
        counts["warnings"] += sum(d.severity == "warning" for d in result.diagnostics)
        if output == "json":
            reports.append(
                {
                    "file": name,
                    "valid": result.valid,
                    "diagnostics": [_json(d, name) for d in result.diagnostics],
                }
            )
        else:
            for diagnostic in result.diagnostics:
                print(diagnostic.render(), file=out)
    if output == "json":
        json.dump(reports, out, indent=2, ensure_ascii=False)
        out.write("\n")
    else:
        print(
            f"{len(files)} file(s): {counts['valid']} valid, {counts['invalid']} with errors; "
            f"{counts['errors']} error(s), {counts['warnings']} warning(s)",
            file=err,
        )
    return status


def _report(args: argparse.Namespace, out: TextIO) -> int:
    from pathlib import Path

    from dp_airflow.migration_report import render, report

    text = render(report(args.paths), args.format)
    if args.out:
        Path(args.out).write_text(text + "\n", encoding="utf-8")
        print(args.out, file=out)
    else:
        out.write(text + "\n")
    return EXIT_OK


def _json(diagnostic: Diagnostic, name: str) -> dict[str, Any]:
    """A diagnostic as JSON; ``file`` is added when it is another file than the one checked
    (a values or parameters file, or ``--parameter-values``)."""
    data = diagnostic.to_json()
    if diagnostic.file is not None and diagnostic.file != name:
        data["file"] = diagnostic.file
    return data


def _convert(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from dp_airflow.cli.parameter_flags import parameter_inputs
    from dp_airflow.errors import UnreadableFileError
    from dp_airflow.read.convert import merged, to_api, to_cli
    from dp_airflow.read.inputs import PipelineInputs, read_pipeline

    with_inputs = args.merged or args.split
    try:
        inputs = parameter_inputs(args, args.file) if with_inputs else PipelineInputs()
        loaded = read_pipeline(args.file, inputs)
    except UnreadableFileError as exc:
        print(exc, file=err)
        return EXIT_USAGE
    fatal = [d for d in loaded.sink.items if d.is_error]
    if fatal or not loaded.definitions:
        for diagnostic in fatal:
            print(diagnostic.render(), file=err)
        return EXIT_INVALID
    definitions = loaded.definitions
    if args.pipeline is not None:
        definitions = [d for d in definitions if d.pipeline_name == args.pipeline]
    if len(definitions) != 1:
        names = ", ".join(d.pipeline_name or "?" for d in loaded.definitions)
        print(
            f"{args.file}: the template holds several pipelines ({names}); choose one with "
            "--pipeline NAME",
            file=err,
        )
        return EXIT_USAGE
    definition = definitions[0]
    if with_inputs:
        definition = merged(definition)
    writer = to_api if args.to == "api" else to_cli
    document = writer(definition, reveal_secrets=args.reveal_secrets)
    if args.split:
        return _split(document, args, out, err)
    json.dump(document, out, indent=4, ensure_ascii=False)
    out.write("\n")
    return EXIT_OK


def _split(document: dict[str, Any], args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Write a pipeline folder: the objects, the parameters and the values, each in its file.

    Masked secret values are left out of values.json (a mask is no value to run with)."""
    from pathlib import Path

    from dp_airflow.discovery import FOLDER_DEFINITION, FOLDER_PARAMETERS, FOLDER_VALUES
    from dp_airflow.read.convert import MASK

    folder = Path(args.split)
    folder.mkdir(parents=True, exist_ok=True)
    api = args.to == "api"
    keys = ("parameterObjects", "parameterValues") if api else ("parameters", "values")
    parameters, values = document.pop(keys[0], None), document.pop(keys[1], None)
    if isinstance(values, dict):
        values = {k: v for k, v in values.items() if v != MASK} or None
    elif isinstance(values, list):
        values = [v for v in values if v.get("stringValue") != MASK] or None
    files = {FOLDER_DEFINITION: document}
    if parameters:
        files[FOLDER_PARAMETERS] = {keys[0]: parameters}
    if values:
        files[FOLDER_VALUES] = {keys[1]: values}
    for name, content in files.items():
        with (folder / name).open("w", encoding="utf-8") as handle:
            json.dump(content, handle, indent=4, ensure_ascii=False)
            handle.write("\n")
        print(folder / name, file=out)
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

"""``dp-airflow eval``: evaluate a field value as Data Pipeline's EvaluateExpression would.

Without ``--definition`` only runtime fields, parameters given with ``--param``, literals and
functions are available; with ``--definition FILE --object ID`` the value is evaluated in that
object's instance, its fields, references and parameters included.
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TextIO

from dp_airflow.errors import DpAirflowError
from dp_airflow.model.slots import LiteralError, Period, parse_datetime, parse_period

MASK = "********"


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The ``eval`` subcommand and its options."""
    from dp_airflow.cli.parameter_flags import add_parameter_flags

    parser = commands.add_parser(
        "eval",
        help="evaluate a field value holding #{...} expressions",
        description="Print VALUE with every #{...} evaluated, as Data Pipeline's "
        "EvaluateExpression does. A list result prints as a JSON array. Exit 1 with the located "
        "error for a bad expression.",
    )
    parser.add_argument(
        "--at",
        metavar="DATETIME",
        help="@scheduledStartTime and @actualStartTime, YYYY-MM-DDTHH:MM:SS in UTC (default: now)",
    )
    parser.add_argument(
        "--end",
        metavar="DATETIME",
        help="@scheduledEndTime (default: --at plus the object's schedule period)",
    )
    parser.add_argument("--definition", metavar="FILE", help="the pipeline definition")
    parser.add_argument("--object", metavar="ID", help="the object whose instance evaluates VALUE")
    add_parameter_flags(parser)
    parser.add_argument(
        "--reveal-secrets",
        action="store_true",
        help="print values of '*' parameters instead of masking them",
    )
    parser.add_argument("value", metavar="VALUE")


def _moment(text: str, option: str) -> datetime:
    try:
        return parse_datetime(text.removesuffix("Z").replace(" ", "T"))
    except LiteralError as exc:
        raise UsageError(f"{option}: {exc}") from None


class UsageError(DpAirflowError):
    """A command line ``eval`` cannot use (exit 2)."""


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Evaluate the expressions given for one object instance; the exit code."""
    from dp_airflow.expressions.errors import ExpressionAtError
    from dp_airflow.expressions.evaluate import render
    from dp_airflow.expressions.scope import Environment, InstanceScope, Interval

    try:
        if (args.definition is None) != (args.object is None):
            raise UsageError("--definition and --object go together")
        params = _params([*args.parameter_values, *args.param])
        at = _moment(args.at, "--at") if args.at else datetime.now(UTC).replace(microsecond=0)
        end = _moment(args.end, "--end") if args.end else None
        env = Environment({}, values=params)
        if args.definition is not None:
            loaded = _load(args, err)
            if loaded is None:
                return 1
            env = loaded
            end = end or _scheduled_end(env, args.object, at)
    except UsageError as exc:
        print(f"dp-airflow eval: {exc}", file=err)
        return 2
    scope = InstanceScope(env, args.object, Interval(at, end, actual_start=at))
    try:
        result = render(args.value, scope)
    except ExpressionAtError as exc:
        print(f"error: {exc.message}", file=err)
        for line in exc.excerpt():
            print(f"    {line}", file=err)
        return 1
    text = json.dumps(list(result)) if isinstance(result, tuple) else result
    if not args.reveal_secrets:
        text = _mask(text, env)
    print(text, file=out)
    return 0


def _params(pairs: list[str]) -> dict[str, tuple[str, ...]]:
    values: dict[str, tuple[str, ...]] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise UsageError(f"--parameter-values takes ID=VALUE, not {pair!r}")
        values[key] = (*values.get(key, ()), value)
    return values


def _load(args: argparse.Namespace, err: TextIO) -> Environment | None:
    from dp_airflow.cli.parameter_flags import parameter_inputs
    from dp_airflow.diagnostics import DiagnosticSink
    from dp_airflow.discovery import dag_id_for
    from dp_airflow.errors import UnreadableFileError
    from dp_airflow.expressions.scope import Environment
    from dp_airflow.read.inputs import read_pipeline
    from dp_airflow.validate.validation import validate_definition

    path, object_id = args.definition, args.object
    try:
        loaded = read_pipeline(path, parameter_inputs(args, path))
    except UnreadableFileError as exc:
        raise UsageError(str(exc)) from None
    fatal = [d for d in loaded.sink.items if d.is_error]
    if fatal or not loaded.definitions:
        for diagnostic in fatal:
            print(diagnostic.render(), file=err)
        return None
    definition = loaded.definitions[0]
    context = validate_definition(definition, DiagnosticSink(path))
    if object_id not in context.resolved:
        known = ", ".join(sorted(context.resolved))
        raise UsageError(f"no object {object_id!r} in {path} (objects: {known})")
    return Environment(
        context.resolved,
        definition.parameters_by_id(),
        definition.value_texts(),
        pipeline_id=dag_id_for(path, definition.pipeline_name),
    )


def _scheduled_end(env: Environment, object_id: str, at: datetime) -> datetime | None:
    from dp_airflow.expressions.datetimes import add_period

    obj = env.objects[object_id]
    schedule_ids = obj.ref_ids("schedule")
    schedule = env.objects.get(schedule_ids[0]) if schedule_ids else None
    period_text = schedule.value_text("period") if schedule is not None else None
    if not period_text:
        return None
    try:
        period: Period = parse_period(period_text)
    except LiteralError:
        return None
    return add_period(at, period)


def _mask(text: str, env: Environment) -> str:
    secrets = {v for key, values in env.values.items() if key.startswith("*") for v in values}
    for parameter in env.parameters.values():
        default = parameter.get("default")
        if parameter.id.startswith("*") and default is not None:
            secrets.update(v.text or "" for v in default.values)
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


if TYPE_CHECKING:
    from dp_airflow.expressions.scope import Environment

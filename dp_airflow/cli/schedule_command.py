"""``dp-airflow schedule``: the next instances of an object's schedule, one JSON line each.

The instances come from the very timetable class the DAG uses (``DataPipelineTimetable``), asked
for one run after another as the scheduler would with catch-up on; no scheduler is needed.
"""

from __future__ import annotations

import argparse
import json
from datetime import datetime
from typing import TextIO

from dp_airflow.model.slots import LiteralError, parse_datetime


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The ``schedule`` subcommand and its options."""
    from dp_airflow.cli.parameter_flags import add_parameter_flags

    parser = commands.add_parser(
        "schedule",
        help="print the next instances of an object's schedule",
        description="Print one JSON object per line, {scheduledStartTime, scheduledEndTime, "
        "runAt} in UTC, for the next instances of the object's schedule (default: the Default "
        "object's), computed by the timetable the DAG uses.",
    )
    parser.add_argument("--object", metavar="ID", default="Default")
    parser.add_argument("--count", metavar="N", type=int, default=10)
    parser.add_argument(
        "--after",
        metavar="DATETIME",
        help="list instances that run at or after this time (default: from the schedule's start)",
    )
    add_parameter_flags(parser, short_form=False)
    parser.add_argument("file", metavar="FILE")


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Print a pipeline's next instances; the exit code."""
    from dp_airflow.cli.parameter_flags import parameter_inputs
    from dp_airflow.diagnostics import DiagnosticSink
    from dp_airflow.errors import UnreadableFileError
    from dp_airflow.read.inputs import read_pipeline
    from dp_airflow.schedule.pipeline import ScheduleError, object_schedule, pipeline_schedule
    from dp_airflow.validate.validation import validate_definition

    if args.count < 0:
        print("dp-airflow schedule: --count must not be negative", file=err)
        return 2
    try:
        after = parse_datetime(args.after.removesuffix("Z")) if args.after else None
        loaded = read_pipeline(args.file, parameter_inputs(args, args.file))
    except (LiteralError, UnreadableFileError) as exc:
        print(f"dp-airflow schedule: {exc}", file=err)
        return 2
    fatal = [d for d in loaded.sink.items if d.is_error]
    if fatal or not loaded.definitions:
        for diagnostic in fatal:
            print(diagnostic.render(), file=err)
        return 1
    definition = loaded.definitions[0]
    context = validate_definition(definition, DiagnosticSink(args.file))
    obj = context.resolved.get(args.object)
    if obj is None:
        print(f"dp-airflow schedule: no object {args.object!r} in {args.file}", file=err)
        return 2
    parameters, values = definition.parameters_by_id(), definition.value_texts()
    try:
        if pipeline_schedule(context.resolved, parameters, values).ondemand:
            print(f"{args.file}: on-demand pipeline: it runs only when triggered", file=err)
            return 0
        named = object_schedule(obj, context.resolved, parameters, values)
    except ScheduleError as exc:
        print(f"dp-airflow schedule: {exc}", file=err)
        return 1
    for instance in _instances(named, args.count, after):
        print(json.dumps(instance), file=out)
    return 0


def _instances(named: object, count: int, after: datetime | None) -> list[dict[str, str]]:
    from airflow.timetables.base import TimeRestriction

    from dp_airflow.schedule.timetable import DataPipelineTimetable

    timetable = DataPipelineTimetable([named])  # type: ignore[list-item]
    import pendulum

    earliest = pendulum.instance(after) if after is not None else None
    restriction = TimeRestriction(earliest=earliest, latest=None, catchup=True)
    out: list[dict[str, str]] = []
    last = None
    while len(out) < count:
        info = timetable.next_dagrun_info(
            last_automated_data_interval=last, restriction=restriction
        )
        if info is None or info.data_interval is None:
            break
        last = info.data_interval
        out.append(
            {
                "scheduledStartTime": _text(info.data_interval.start),
                "scheduledEndTime": _text(info.data_interval.end),
                "runAt": _text(info.run_after),
            }
        )
    return out


def _text(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S")

"""Validation and translation time against definition size, for every shape that used to blow up.

Run: ``.venv/bin/python benchmarks/validate_scaling.py [SIZES]`` (default ``300,1000,3000``).

Shapes: a ``parent`` chain (each object inherits from the one before; also with a field of its
own on every level, the worst case, where object *n* ends up with *n* fields), a flat ``dependsOn``
chain, a wide fan-in (one activity depending on all others), a data-flow chain (activity → node →
activity …), and many parameters used in one expression. Times are in-process (no interpreter
start-up), the median of 3 runs: ``validate`` is reading plus every rule; ``translate`` adds
planning and the runtime (what the dags-folder loader does on a cache miss).
"""

from __future__ import annotations

import functools
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

BASE = [{"id": "Default", "scheduleType": "ondemand", "workerGroup": "wg"}]


def parent_chain(n: int, field_per_level: bool = False) -> dict:
    objects = [*BASE, {"id": "P0", "command": "echo #{@scheduledStartTime}"}]
    for i in range(1, n):
        objects.append({"id": f"P{i}", "parent": {"ref": f"P{i - 1}"}})
        if field_per_level:  # the worst case: each object inherits every field above it
            objects[-1][f"myField{i}"] = "x"
    objects[-1]["type"] = "ShellCommandActivity"
    return {"objects": objects}


def parent_chain_with_fields(n: int) -> dict:
    return parent_chain(n, field_per_level=True)


def depends_on_chain(n: int) -> dict:
    objects = [*BASE]
    for i in range(n):
        activity = {"id": f"A{i}", "type": "ShellCommandActivity", "command": "echo #{@id}"}
        if i:
            activity["dependsOn"] = {"ref": f"A{i - 1}"}
        objects.append(activity)
    return {"objects": objects}


def fan_in(n: int) -> dict:
    objects = [*BASE]
    objects += [
        {"id": f"A{i}", "type": "ShellCommandActivity", "command": "true"} for i in range(n - 1)
    ]
    objects.append(
        {
            "id": "Z",
            "type": "ShellCommandActivity",
            "command": "true",
            "dependsOn": [{"ref": f"A{i}"} for i in range(n - 1)],
        }
    )
    return {"objects": objects}


def data_flow(n: int) -> dict:
    half = n // 2
    objects = [*BASE]
    objects += [
        {"id": f"N{i}", "type": "S3DataNode", "directoryPath": f"s3://b/{i}/"} for i in range(half)
    ]
    objects += [
        {
            "id": f"A{i}",
            "type": "ShellCommandActivity",
            "command": "echo #{input.directoryPath}",
            "input": {"ref": f"N{i}"},
            "output": {"ref": f"N{i + 1}"},
        }
        for i in range(half - 1)
    ]
    return {"objects": objects}


def many_parameters(n: int) -> dict:
    command = " ".join(f"#{{myP{i}}}" for i in range(n))
    return {
        "objects": [*BASE, {"id": "A", "type": "ShellCommandActivity", "command": command}],
        "parameters": [{"id": f"myP{i}", "default": "x"} for i in range(n)],
    }


SHAPES = {
    "parent chain": parent_chain,
    "parent chain, a field per level": parent_chain_with_fields,
    "dependsOn chain": depends_on_chain,
    "fan-in": fan_in,
    "data flow": data_flow,
    "parameters": many_parameters,
}


def _median(action, runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    from dp_airflow.validate.validation import validate_file

    try:  # translation as the loader does it (absent in versions before the dags-folder work)
        from dp_airflow.plan.translation import source_for, translate_source

        def translate(path: Path) -> object:
            from dp_airflow.errors import DpAirflowError

            try:
                return translate_source(source_for(path))
            except DpAirflowError as exc:  # refused (e.g. an object over 15 KB): still timed
                return exc
    except ImportError:
        translate = None  # type: ignore[assignment]

    sizes = [int(s) for s in (sys.argv[1] if len(sys.argv) > 1 else "300,1000,3000").split(",")]
    print("| shape | objects | validate | translate |")
    print("|---|---|---|---|")
    with tempfile.TemporaryDirectory() as folder:
        for name, make in SHAPES.items():
            for size in sizes:
                path = Path(folder) / f"{name.replace(' ', '-')}-{size}.json"
                path.write_text(json.dumps(make(size)))
                validated = _median(functools.partial(validate_file, path, build_models=False))
                translated = _median(functools.partial(translate, path)) if translate else None
                shown = f"{translated:.3f} s" if translated is not None else "-"
                print(f"| {name} | {size} | {validated:.3f} s | {shown} |", flush=True)


if __name__ == "__main__":
    main()

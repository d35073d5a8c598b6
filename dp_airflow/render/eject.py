"""``dp-airflow eject``: a definition's DAG written out as a readable Airflow DAG file.

The file builds the DAG the loader builds (both come from ``render.describe_dag``) with
dp-airflow's operators, sensors, notifiers and timetable, their arguments written out, and the
pipeline's objects as plain data for run-time evaluation: the definition is not read again.
Secret values are never written: they become Airflow Variables, listed in the file's header.
"""

from __future__ import annotations

import builtins
import json
import keyword
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from dp_airflow.plan.pipeline_runtime import PipelineRuntime
from dp_airflow.plan.planner import DagSpec, unique_name
from dp_airflow.render.calls import PIPELINE, Attribute, Call, DagCall
from dp_airflow.render.dag import describe_dag
from dp_airflow.schedule.timetable import DataPipelineTimetable

INDENT = "    "
SHORT = 60
"""Collections and calls at most this long are written on one line."""


@dataclass(frozen=True)
class Ejected:
    """One pipeline's ejected DAG file."""

    dag_id: str
    text: str
    """The Python DAG file."""
    variables: tuple[str, ...] = ()
    """Airflow Variables the pipeline's secrets must be given in."""


@dataclass(frozen=True)
class _Code:
    """Python written as is (``__file__``, ``__doc__``)."""

    text: str


@dataclass
class _Writer:
    imports: dict[str, str] = field(default_factory=dict)
    """Name → module it is imported from."""

    def name_of(self, target: Callable[..., Any] | type) -> str:
        name = target.__name__
        module = _public_module(target)
        known = self.imports.setdefault(name, module)
        if known != module:
            raise ValueError(f"two things named {name}: {known} and {module}")
        return name

    def value(self, value: Any, depth: int) -> str:
        if isinstance(value, Call):
            return self.call(value, depth)
        if isinstance(value, Attribute):
            return f"{self.name_of(value.owner)}.{value.name}"
        if isinstance(value, _Code):
            return value.text
        if value is PIPELINE:
            return "PIPELINE"
        if isinstance(value, Mapping):
            items = [
                f"{self.value(k, depth + 1)}: {self.value(v, depth + 1)}" for k, v in value.items()
            ]
            return self.block("{", items, "}", depth)
        if isinstance(value, list):
            return self.block("[", [self.value(v, depth + 1) for v in value], "]", depth)
        if isinstance(value, tuple):
            return self.block("(", [self.value(v, depth + 1) for v in value], ")", depth)
        return self.scalar(value, depth)

    def scalar(self, value: Any, depth: int) -> str:
        if isinstance(value, str):
            return json.dumps(value, ensure_ascii=False)
        if value is None or isinstance(value, (bool, int, float)):
            return repr(value)
        if isinstance(value, timedelta):
            self.imports["timedelta"] = "datetime"
            seconds = value.total_seconds()
            return f"timedelta(seconds={int(seconds) if seconds.is_integer() else seconds})"
        if isinstance(value, datetime):
            return self.moment(value)
        if isinstance(value, DataPipelineTimetable):
            owner = self.name_of(DataPipelineTimetable)
            data = self.value(value.serialize(), depth + 1)
            return self.block(f"{owner}.deserialize(", [data], ")", depth)
        if callable(value):
            return self.name_of(value)
        raise ValueError(f"cannot write a {type(value).__name__} as Python")

    def moment(self, value: datetime) -> str:
        self.imports["datetime"] = "datetime"
        self.imports["UTC"] = "datetime"
        utc = value.astimezone(UTC)
        parts = [utc.year, utc.month, utc.day, utc.hour, utc.minute, utc.second]
        if utc.microsecond:
            parts.append(utc.microsecond)
        return f"datetime({', '.join(map(str, parts))}, tzinfo=UTC)"

    def call(self, call: Call, depth: int) -> str:
        items = [self.value(a, depth + 1) for a in call.args]
        items += [f"{k}={self.value(v, depth + 1)}" for k, v in call.kwargs.items()]
        return self.block(f"{self.name_of(call.target)}(", items, ")", depth)

    @staticmethod
    def block(opening: str, items: list[str], closing: str, depth: int) -> str:
        if not items:
            return opening + closing
        inline = opening + ", ".join(items) + closing
        if len(inline) <= SHORT and "\n" not in inline and not opening.endswith(":"):
            return inline
        inner = INDENT * (depth + 1)
        return opening + "\n" + "".join(f"{inner}{i},\n" for i in items) + INDENT * depth + closing


def _public_module(target: Any) -> str:
    """Where a name is imported from: Airflow's ``airflow.sdk`` when it exports it."""
    import airflow.sdk

    name = target.__name__
    if getattr(airflow.sdk, name, None) is target:
        return "airflow.sdk"
    return str(target.__module__)


def eject_pipeline(spec: DagSpec, runtime: PipelineRuntime, catchup: bool, version: str) -> Ejected:
    """The Python DAG file of one planned pipeline."""
    described = describe_dag(spec, runtime, catchup)
    variables: list[str] = []
    data = _runtime_data(runtime, variables)
    writer = _Writer()
    writer.imports["DAG"] = "airflow.sdk"
    dag = _dag_block(writer, _with_file_references(described))
    runtime_call = (
        f"PIPELINE = pipeline_runtime(\n{INDENT}{json.dumps(runtime.pipeline_id)},"
        f"{_keyword_block(writer, data)}\n)"
    )
    text = "\n".join(
        [
            _header(spec, version, variables),
            "",
            "from __future__ import annotations",
            "",
            *_import_lines(writer.imports),
            "",
            runtime_call,
            "",
            dag,
        ]
    )
    return Ejected(spec.dag_id, text + "\n", tuple(variables))


def _keyword_block(writer: _Writer, data: Mapping[str, Any]) -> str:
    return "".join(
        f"\n{INDENT}{key}={writer.value(value, 1)},"
        for key, value in data.items()
        if value or key == "objects"
    )


def _import_lines(imports: Mapping[str, str]) -> list[str]:
    by_module: dict[str, list[str]] = {}
    for name, module in imports.items():
        by_module.setdefault(module, []).append(name)
    standard = {m: n for m, n in by_module.items() if m == "datetime"}
    third = {m: n for m, n in by_module.items() if m.startswith("airflow")}
    ours = {m: n for m, n in by_module.items() if m.startswith("dp_airflow")}
    ours.setdefault("dp_airflow.runtime.ejected", []).append("pipeline_runtime")
    lines: list[str] = []
    for group in (standard, third, ours):
        if not group:
            continue
        if lines:
            lines.append("")
        for module in sorted(group):
            names = sorted(set(group[module]), key=lambda n: (not n.isupper(), n))
            lines.append(f"from {module} import {', '.join(names)}")
    return lines


def _with_file_references(described: DagCall) -> DagCall:
    """The late alarm's callback finds the pipeline through this file, not the definition."""
    kwargs = dict(described.kwargs)
    kwargs["doc_md"] = _Code("__doc__")
    alerts = kwargs.get("deadline")
    if alerts:
        kwargs["deadline"] = [_file_callback(alert) for alert in alerts]
    return DagCall(described.dag_id, kwargs, described.tasks)


def _file_callback(alert: Call) -> Call:
    callback = alert.kwargs["callback"]
    arguments = {**callback.kwargs["kwargs"], "definition": _Code("__file__")}
    return Call(
        alert.target,
        {**alert.kwargs, "callback": Call(callback.target, {"kwargs": arguments}, callback.args)},
    )


def _dag_block(writer: _Writer, described: DagCall) -> str:
    names = _variable_names([t.task_id for t in described.tasks], set(writer.imports))
    kwargs = [f"{k}={writer.value(v, 1)}" for k, v in described.kwargs.items()]
    lines = [writer.block("with DAG(", [json.dumps(described.dag_id), *kwargs], ") as dag:", 0)]
    for task in described.tasks:
        lines.append(f"{INDENT}{names[task.task_id]} = {writer.call(_trimmed(task.call), 1)}")
    if not described.tasks:
        lines.append(f"{INDENT}pass  # the pipeline has no activity or precondition")
    edges = []
    for task in described.tasks:
        upstream = [names[u] for u in task.upstream]
        if len(upstream) == 1:
            edges.append(f"{INDENT}{upstream[0]} >> {names[task.task_id]}")
        elif upstream:
            edges.append(f"{INDENT}[{', '.join(upstream)}] >> {names[task.task_id]}")
        if task.teardown_of is not None:
            edges.append(
                f"{INDENT}{names[task.task_id]}.as_teardown(setups={names[task.teardown_of]})"
            )
    if edges:
        lines += ["", *edges]
    return "\n".join(lines)


def _trimmed(call: Call) -> Call:
    """The operator's call with ``task_id`` first and the arguments equal to their defaults
    left out (the operator would take the same value)."""
    import inspect

    defaults: dict[str, Any] = {}
    for cls in getattr(call.target, "__mro__", ()):
        init = cls.__dict__.get("__init__")
        if init is None or not cls.__module__.startswith("dp_airflow."):
            continue  # Airflow's own defaults may come from the user's configuration
        for name, parameter in inspect.signature(init).parameters.items():
            if parameter.default is not inspect.Parameter.empty:
                defaults.setdefault(name, parameter.default)
    kept = {
        k: v
        for k, v in call.kwargs.items()
        if not (k in defaults and type(defaults[k]) is type(v) and defaults[k] == v)
    }
    first: dict[str, Any] = {k: kept.pop(k) for k in ("task_id", "task_display_name") if k in kept}
    return Call(call.target, {**first, **kept}, call.args)


def _variable_names(task_ids: list[str], taken: set[str]) -> dict[str, str]:
    used = {*taken, "dag", "PIPELINE", "pipeline_runtime", "annotations"}
    out: dict[str, str] = {}
    for task_id in task_ids:
        snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", task_id).lower()
        base = re.sub(r"\W+", "_", snake).strip("_") or "task"
        if base[0].isdigit() or keyword.iskeyword(base) or hasattr(builtins, base):
            base = f"task_{base}"
        out[task_id] = unique_name(base, used)
    return out


def _runtime_data(runtime: PipelineRuntime, variables: list[str]) -> dict[str, Any]:
    """The runtime as ``pipeline_runtime``'s keyword arguments, secrets left to Variables."""
    dag_id = runtime.pipeline_id
    parameters: dict[str, dict[str, Any]] = {}
    for parameter_id, parameter in runtime.parameters.items():
        attributes = {
            a.key: _plain(a.values)
            for a in parameter.attributes
            if not (parameter_id.startswith("*") and a.key == "default")
        }
        parameters[parameter_id] = attributes
        if parameter_id.startswith("*"):
            variables.append(f"{dag_id}__{parameter_id.removeprefix('*')}")
    objects: dict[str, dict[str, Any]] = {}
    for object_id, obj in runtime.objects.items():
        fields: dict[str, Any] = {}
        if obj.raw.name and obj.raw.name != object_id:
            fields["name"] = obj.raw.name
        for own in sorted(obj.raw.fields, key=lambda f: (f.key != "type", f.key)):
            key, values = own.key, own.values
            if key.startswith("*") and any(v.text and "#{" not in v.text for v in values):
                secret = f"*my{re.sub(r'[^A-Za-z0-9]', '', object_id)}_{key.removeprefix('*')}"
                fields[key] = f"#{{{secret}}}"
                parameters[secret] = {
                    "type": "String",
                    "description": f"{object_id}.{key}, a secret: from an Airflow Variable",
                }
                variables.append(f"{dag_id}__{secret.removeprefix('*')}")
                continue
            fields[key] = _plain(values)
        objects[object_id] = fields
    return {
        "objects": objects,
        "parameters": parameters,
        "values": _public(runtime.values),
        "supplied": _public(runtime.supplied),
    }


def _plain(values: Any) -> Any:
    items = [{"ref": v.ref} if v.ref is not None else (v.text or "") for v in values]
    return items[0] if len(items) == 1 else items


def _public(values: Mapping[str, tuple[str, ...]]) -> dict[str, Any]:
    return {
        key: value[0] if len(value) == 1 else list(value)
        for key, value in values.items()
        if not key.startswith("*")
    }


def _header(spec: DagSpec, version: str, variables: list[str]) -> str:
    lines = [
        f"{spec.dag_id}: a Data Pipeline definition taken over as Airflow code.",
        "",
        f"Ejected by dp-airflow {version} from {Path(spec.source_file).name}. This file builds the",
        "DAG dp-airflow's loader built from that definition and no longer reads it: edit it as",
        "any DAG file. PIPELINE holds the objects the operators evaluate #{...} fields against.",
    ]
    if variables:
        lines += ["", "Secret values are not written here; give them as Airflow Variables:"]
        lines += [f"- {name}" for name in variables]
    if spec.report:
        lines += ["", "Translation report:"] + [f"- {line}" for line in spec.report]
    text = "\n".join(lines).replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    return f'"""{text}\n"""'


def eject_file(path: Path, catchup: bool = False) -> list[Ejected]:
    """The Python DAG file of each pipeline of a definition (its companion files read beside
    it); raises DefinitionError with every error."""
    from importlib.metadata import version

    from dp_airflow.plan.translation import source_for, translate_source

    release = version("dp-airflow")
    return [
        eject_pipeline(spec, runtime, catchup, release)
        for spec, runtime in translate_source(source_for(path))
    ]

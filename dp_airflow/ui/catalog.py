"""What the Data Pipelines view shows: every definition the loader finds, as plain data.

No Airflow here: the web app (``dp_airflow.ui.app``) adds who may see what and the runs' states.
Each pipeline carries its diagnostics in ``dp-airflow validate --format json``'s shape, its
objects with what they became, its parameters with where each value comes from, a per-field
report (native, approximated, ignored) and its definition text with secret values masked.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dp_airflow.discovery import Discovery, PipelineSource, pipeline_dag_id
from dp_airflow.model.registry import REGISTRY, field_use

if TYPE_CHECKING:
    from dp_airflow.plan.translation import Translation
    from dp_airflow.validate.validation import ValidationResult

MASK = "********"
APPROXIMATED = {
    "lateAfterTimeout": "measured for the whole DAG run (Airflow deadlines are per run)",
    "onLateAction": "measured for the whole DAG run (Airflow deadlines are per run)",
    "runsOn": "activities run on Airflow workers; EMR activities on the cluster's steps",
    "failureAndRerunMode": "none: consumers end upstream_failed instead of waiting",
    "maximumRetries": "Airflow retries with retryDelay between them",
    "role": "credentials come from the Airflow AWS connection",
    "resourceRole": "credentials come from the Airflow AWS connection",
}
"""Fields that take effect with a documented difference (docs/runtime.md, choices.md)."""


@dataclass
class ObjectView:
    """One object as the view shows it: type, what it became, its fields' treatment."""

    id: str
    type: str
    became: list[dict[str, Any]] = field(default_factory=list)
    """The tasks it became: task id, operator, queue, retries."""
    fields: list[dict[str, str]] = field(default_factory=list)
    """Each field: name, treatment (native / approximated / ignored), reason."""


@dataclass
class PipelineView:
    """One pipeline as the view shows it: state, diagnostics, objects."""

    dag_id: str
    file: str
    state: str
    """``valid``, ``warnings`` or ``broken``."""
    diagnostics: list[dict[str, Any]]
    rendered: list[str]
    """Diagnostics as ``validate`` prints them (file:line:col, caret lines)."""
    object_counts: dict[str, int] = field(default_factory=dict)
    schedule: str = ""
    objects: list[ObjectView] = field(default_factory=list)
    parameters: list[dict[str, Any]] = field(default_factory=list)
    source: str = ""

    @property
    def valid(self) -> bool:
        return self.state != "broken"

    def summary(self) -> dict[str, Any]:
        return {
            "dag_id": self.dag_id,
            "file": self.file,
            "valid": self.valid,
            "state": self.state,
            "object_counts": self.object_counts,
            "schedule": self.schedule,
            "diagnostics": self.diagnostics,
        }

    def detail(self) -> dict[str, Any]:
        return {
            **self.summary(),
            "objects": [o.__dict__ for o in self.objects],
            "parameters": self.parameters,
            "source": self.source,
        }


def pipelines(found: Discovery) -> list[PipelineView]:
    """One view per pipeline of the dags folder (several for a multi-pipeline template)."""
    out: list[PipelineView] = []
    clashes = {d for d, sources in found.by_dag_id().items() if len(sources) > 1}
    for source in found.sources:
        out.extend(_views(source, clash=source.dag_id in clashes))
    return out


def _views(source: PipelineSource, clash: bool) -> list[PipelineView]:
    from dp_airflow.errors import DpAirflowError
    from dp_airflow.plan.translation import translate_validated, validate_source

    try:
        result = validate_source(source)
    except DpAirflowError as exc:
        return [PipelineView(source.dag_id, str(source.definition), "broken", [], [str(exc)])]
    translation: list[Any] = []
    failure = None
    if result.valid and not clash:
        try:
            translation = translate_validated(source.dag_id, result)
        except DpAirflowError as exc:
            failure = str(exc)
    return views_of(source, result, translation, failure, clash)


def views_of(
    source: PipelineSource,
    result: ValidationResult,
    translation: Translation,
    failure: str | None = None,
    clash: bool = False,
) -> list[PipelineView]:
    """The views of a validated source, from its translation (empty when it has none) or why
    its translation failed (``failure``)."""
    file = str(source.definition)
    diagnostics = [_json(d) for d in result.diagnostics]
    rendered = [d.render() for d in result.diagnostics]
    if clash:
        rendered.insert(0, f"{file}: error: another file gives the DAG id {source.dag_id!r}")
    warned = any(d.severity == "warning" for d in result.diagnostics)
    state = "broken" if not result.valid or clash else ("warnings" if warned else "valid")
    if failure is not None:
        state, rendered = "broken", [*rendered, failure]
    views: list[PipelineView] = []
    text = _masked_source(result)
    for index, definition in enumerate(result.definitions or [None]):
        name = definition.pipeline_name if definition is not None else None
        dag_id = pipeline_dag_id(source.dag_id, name)
        view = PipelineView(dag_id, file, state, diagnostics, rendered, source=text)
        if definition is not None:
            context = result.contexts[index]
            view.object_counts = dict(
                Counter(o.type or "(template)" for o in context.resolved.values())
            )
            view.parameters = _parameters(definition)
            spec = translation[index][0] if index < len(translation) else None
            runtime = translation[index][1] if index < len(translation) else None
            view.objects = _objects(context.resolved, spec)
            view.schedule = _schedule(runtime)
        views.append(view)
    return views


def _json(diagnostic: Any) -> dict[str, Any]:
    return {**diagnostic.to_json(), "file": diagnostic.file}


def _schedule(runtime: Any) -> str:
    if runtime is None:
        return ""
    if runtime.schedule.ondemand:
        return "on demand (runs when triggered)"
    from dp_airflow.schedule.model import ScheduleSpec

    parts = []
    for named in runtime.schedule.schedules:
        spec: ScheduleSpec = named.spec
        parts.append(f"{named.schedule_id}: {spec.describe()}")
    return "; ".join(parts)


def _objects(resolved: dict[str, Any], spec: Any) -> list[ObjectView]:
    tasks = list(spec.tasks) if spec is not None else []
    out = []
    for obj in sorted(resolved.values(), key=lambda o: o.id):
        view = ObjectView(obj.id, obj.type or "(template)")
        for task in tasks:
            if task.object_id == obj.id:
                view.became.append(
                    {
                        "task_id": task.task_id,
                        "operator": _operator(task.kind),
                        "queue": task.queue or "default",
                        "retries": task.retries,
                    }
                )
        for key in sorted(obj.fields):
            if key in ("type", "parent") or key.startswith("my") or key.startswith("*my"):
                continue
            if obj.fields[key].origin != obj.id:
                continue  # reported where it is written (Default, a template)
            use = field_use(obj.type or "", key)
            if use is None:
                treatment, reason = "ignored", f"not a field of {obj.type or 'this object'}"
            elif use.startswith("validated; "):
                treatment, reason = "ignored", use.removeprefix("validated; ")
            elif key in APPROXIMATED:
                treatment, reason = "approximated", APPROXIMATED[key]
            else:
                treatment, reason = "native", use
            view.fields.append({"name": key, "treatment": treatment, "reason": reason})
        out.append(view)
    return out


_PLAN_KINDS = {
    "EmrClusterTermination": "EmrTerminateJobFlowOperator",
    "Unsupported": "UnsupportedObjectOperator",
}
"""Task kinds of the plan that are not Data Pipeline types."""


def _operator(kind: str) -> str:
    entry = REGISTRY.get(kind)
    return (entry.operator_name if entry else None) or _PLAN_KINDS.get(kind, kind)


def _parameters(definition: Any) -> list[dict[str, Any]]:
    own, supplied = definition.own_value_texts(), definition.supplied_value_texts()
    files = {f.key: layer.origin for layer in definition.supplied for f in layer.values}
    out = []
    for parameter in definition.parameters:
        secret = parameter.id.startswith("*")
        if parameter.id in supplied:
            source, value = f"values file {Path(files[parameter.id]).name}", supplied[parameter.id]
        elif parameter.id in own:
            source, value = "the definition's values", own[parameter.id]
        elif parameter.get("default") is not None:
            source = "default"
            value = tuple(v.text or "" for v in parameter.get("default").values)
        else:
            source, value = "none: a run needs the trigger form or an Airflow Variable", ()
        out.append(
            {
                "id": parameter.id,
                "source": source,
                "value": [MASK] * len(value) if secret else list(value),
                "variable": f"<dag id>__{parameter.id.removeprefix('*')}",
            }
        )
    return out


def _masked_source(result: Any) -> str:
    """The definition file as written, every literal secret value replaced by the mask."""
    definitions = result.definitions
    text = definitions[0].source.text if definitions and definitions[0].source else ""
    secrets: set[str] = set()
    for definition in definitions:
        for obj in definition.objects:
            for f in obj.fields:
                if f.is_secret:
                    secrets.update(v.text for v in f.values if v.text and "#{" not in v.text)
        for f in definition.values:
            if f.key.startswith("*"):
                secrets.update(v.text for v in f.values if v.text)
        for parameter in definition.parameters:
            default = parameter.get("default")
            if parameter.id.startswith("*") and default is not None:
                secrets.update(v.text for v in default.values if v.text)
    for secret in sorted(secrets, key=len, reverse=True):
        text = re.sub(re.escape(secret), MASK, text)
    return text

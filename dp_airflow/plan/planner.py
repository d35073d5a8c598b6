"""The plan: what DAG and which tasks a definition becomes, as plain data (no Airflow here).

Every runnable object that does work becomes a task: activities, and preconditions (as sensors
upstream of the objects that wait for them). Edges come from ``dependsOn`` and from data flow (an
activity that reads a data node runs after the activities that write it). Object types not
translated yet become explicit tasks that fail with a clear message, and the translation report
says so; nothing is dropped silently.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TypedDict, TypeVar

from dp_airflow.emr.dynamodb_tools import all_tool_steps
from dp_airflow.model.object_types import field_specs
from dp_airflow.model.objects.activities import Activity, EmrActivity
from dp_airflow.model.objects.base import (
    Category,
    Expression,
    FailureAndRerunMode,
    ObjectModel,
    Ref,
    RetryFields,
    ScheduledFields,
)
from dp_airflow.model.objects.data_nodes import DataNode
from dp_airflow.model.objects.preconditions import Precondition
from dp_airflow.model.objects.resources import Ec2Resource, EmrCluster
from dp_airflow.model.registry import REGISTRY, Role, translated
from dp_airflow.model.slots import Period
from dp_airflow.read.convert import to_cli
from dp_airflow.read.raw import RawDefinition

CLUSTER_KIND = "EmrCluster"
CLUSTER_TEARDOWN_KIND = "EmrClusterTermination"
DEFAULT_RETRIES = 2
"""Data Pipeline's default (a CLI fixture shows 3 tries on an object that sets none)."""
DEFAULT_RETRY_DELAY_SECONDS = 600
"""Older guide editions give 10 minutes."""
_TASK_ID = re.compile(r"[^A-Za-z0-9_.-]+")


@dataclass(frozen=True)
class TaskSpec:
    """One task of the plan: the object it runs and how Airflow runs it."""

    task_id: str
    object_id: str
    display_name: str
    kind: str
    """The Data Pipeline type; ``render`` picks the operator from it."""
    arguments: Mapping[str, object] = field(default_factory=dict)
    """Raw Data Pipeline field values the operator evaluates per run."""
    upstream: tuple[str, ...] = ()
    retries: int = DEFAULT_RETRIES
    retry_delay_seconds: int = DEFAULT_RETRY_DELAY_SECONDS
    timeout_seconds: int | None = None
    queue: str | None = None
    on_fail: tuple[str, ...] = ()
    on_success: tuple[str, ...] = ()
    cascade: bool = False
    """``failureAndRerunMode: cascade``: a failed dependency fails this task (CASCADE_FAILED)."""
    late_after_seconds: int | None = None
    """``lateAfterTimeout`` (not applied to on-demand pipelines)."""
    on_late: tuple[str, ...] = ()
    max_active: int | None = None
    """``maxActiveInstances`` of the object (its task's ``max_active_tis_per_dag``)."""
    resource: str | None = None
    """For EMR activities: the EmrCluster they run on; for cluster tasks: the cluster."""
    setup_task: str | None = None
    """For EMR activities and a cluster's teardown: the task that starts the cluster."""
    consumer: str | None = None
    """For precondition sensors: the object the precondition belongs to (``node`` in
    expressions): the activity, or the data node whose readers wait for it."""


@dataclass(frozen=True)
class ParamSpec:
    """One DAG Param from a Data Pipeline parameter."""

    default: object
    type: str
    description: str | None = None
    enum: tuple[str, ...] = ()
    is_array: bool = False
    required: bool = False
    """No value anywhere at parse time: the trigger form asks for one (on-demand pipelines;
    Airflow refuses required Params on scheduled DAGs, whose runs fail at the first task
    that needs the value)."""


@dataclass(frozen=True)
class DagSpec:
    """The plan of one pipeline: its DAG id, tasks, params, tags and docs."""

    dag_id: str
    source_file: str
    source_dag_id: str
    """The DAG id of the file's source (differs for a template's several pipelines)."""
    tasks: tuple[TaskSpec, ...]
    params: Mapping[str, ParamSpec]
    tags: tuple[str, ...]
    doc_md: str
    report: tuple[str, ...]


def plan_pipeline(
    definition: RawDefinition,
    objects: Mapping[str, ObjectModel],
    source_file: str,
    dag_id: str,
    ondemand: bool = False,
    source_dag_id: str | None = None,
) -> DagSpec:
    """The plan of one validated pipeline (no Airflow), from its typed objects."""
    task_ids = _task_ids(objects)
    report: list[str] = []
    tasks: list[TaskSpec] = []
    producers = _producers(objects)
    node_sensors: dict[str, list[str]] = {}
    for node in _sorted(objects, DataNode):
        for precondition_id in _ids(node.precondition):
            precondition = objects.get(precondition_id)
            if not isinstance(precondition, Precondition):
                continue
            sensor_id = f"{task_ids[node.id]}__{task_ids[precondition_id]}"
            writers = tuple(sorted(task_ids[p] for p in producers.get(node.id, ())))
            sensor = _sensor(precondition, node, sensor_id, writers, report, ondemand)
            tasks.append(sensor)
            node_sensors.setdefault(node.id, []).append(sensor_id)
    for activity in _sorted(objects, Activity):
        upstream = set(_upstream_of(activity, objects, producers, task_ids))
        for node_id in _ids(activity.input):
            upstream.update(node_sensors.get(node_id, ()))
        # The activity's own preconditions are checked once its other dependencies are done,
        # so they see the state the activity would start in.
        before_checks = tuple(sorted(upstream))
        for precondition_id in _ids(activity.precondition):
            precondition = objects.get(precondition_id)
            if not isinstance(precondition, Precondition):
                continue
            sensor_id = f"{task_ids[activity.id]}__{task_ids[precondition_id]}"
            tasks.append(
                _sensor(precondition, activity, sensor_id, before_checks, report, ondemand)
            )
            upstream.add(sensor_id)
        task_id = task_ids[activity.id]
        tasks.append(
            _activity(activity, task_id, tuple(sorted(upstream)), report, objects, ondemand)
        )
    tasks = _with_clusters(tasks, objects, task_ids, report, ondemand)
    _report_unused(objects, {t.resource for t in tasks if t.resource}, report)
    params = _params(definition, required_allowed=ondemand)
    return DagSpec(
        dag_id=dag_id,
        source_file=source_file,
        source_dag_id=source_dag_id or dag_id,
        tasks=tuple(tasks),
        params=params,
        tags=("dp-airflow", *_tags(definition)),
        doc_md=_doc(definition, source_file, report),
        report=tuple(report),
    )


_Model = TypeVar("_Model", bound=ObjectModel)


def _sorted(objects: Mapping[str, ObjectModel], kind: type[_Model]) -> list[_Model]:
    """The objects of one model family, by id."""
    return [o for _, o in sorted(objects.items()) if isinstance(o, kind)]


def _ids(refs: tuple[Ref, ...] | Ref | None) -> list[str]:
    if refs is None:
        return []
    return [refs.id] if isinstance(refs, Ref) else [r.id for r in refs]


def _tags(definition: RawDefinition) -> list[str]:
    """Pipeline tags as DAG tags, ``key:value`` (Airflow keeps at most 100 characters)."""
    return [f"{key}:{value}"[:100] if value else key[:100] for key, value in definition.tags]


def _task_ids(objects: Mapping[str, ObjectModel]) -> dict[str, str]:
    out: dict[str, str] = {}
    used: set[str] = set()
    for object_id in sorted(objects):
        out[object_id] = unique_name(_TASK_ID.sub("_", object_id).strip("_") or "object", used)
    return out


def unique_name(base: str, used: set[str]) -> str:
    """``base``, or ``base_2``, ``base_3``… the first not in ``used`` (which it joins)."""
    candidate, n = base, 2
    while candidate in used:
        candidate, n = f"{base}_{n}", n + 1
    used.add(candidate)
    return candidate


def _runs_on_emr(kind: str) -> bool:
    """An EMR activity: its steps run on the EmrCluster named by ``runsOn``."""
    entry = REGISTRY.get(kind)
    return entry is not None and entry.role is Role.EMR_STEPS


def _producers(objects: Mapping[str, ObjectModel]) -> dict[str, list[str]]:
    """Data node id → activities that write it."""
    out: dict[str, list[str]] = {}
    for activity in objects.values():
        if isinstance(activity, Activity):
            for node in _ids(activity.output):
                out.setdefault(node, []).append(activity.id)
    return out


def _upstream_of(
    activity: Activity,
    objects: Mapping[str, ObjectModel],
    producers: Mapping[str, list[str]],
    task_ids: Mapping[str, str],
) -> list[str]:
    upstream: list[str] = []
    for target in _ids(activity.depends_on):
        if isinstance(objects.get(target), Activity):
            upstream.append(task_ids[target])
        else:
            upstream.extend(task_ids[p] for p in producers.get(target, ()) if p != activity.id)
    for node in _ids(activity.input):
        upstream.extend(task_ids[p] for p in producers.get(node, ()) if p != activity.id)
    return upstream


def _seconds(value: object) -> int | None:
    """A period's length in seconds; None for an expression or nothing."""
    return value.approximate_minutes() * 60 if isinstance(value, Period) else None


def _count(value: int | Expression | None) -> int | None:
    return value if isinstance(value, int) else None


def _task_arguments(obj: ObjectModel, names: tuple[str, ...]) -> dict[str, object]:
    """The fields its task receives (named by its registry entry), as written: texts (a
    reference as the id it names), and lists of texts for fields that take several values."""
    specs = field_specs(type(obj))
    out: dict[str, object] = {}
    for name in names:
        value = getattr(obj, specs[name].attribute)
        if value is None or value == ():
            continue
        out[name] = [_text(v) for v in value] if specs[name].slot.multi else _text(value)
    return out


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Ref):
        return value.id
    return str(value)


class _Common(TypedDict):
    """The TaskSpec fields every task takes from its object."""

    task_id: str
    object_id: str
    display_name: str
    retries: int
    retry_delay_seconds: int
    timeout_seconds: int | None
    on_fail: tuple[str, ...]
    on_success: tuple[str, ...]
    cascade: bool
    late_after_seconds: int | None
    on_late: tuple[str, ...]
    max_active: int | None


def _common(obj: RetryFields, task_id: str, ondemand: bool) -> _Common:
    late = None if ondemand else _seconds(obj.late_after_timeout)
    retries = _count(obj.maximum_retries)
    max_active = obj.max_active_instances if isinstance(obj, ScheduledFields) else None
    return {
        "task_id": task_id,
        "object_id": obj.id,
        "display_name": obj.name or obj.id,
        "retries": DEFAULT_RETRIES if retries is None else retries,
        "retry_delay_seconds": _seconds(obj.retry_delay) or DEFAULT_RETRY_DELAY_SECONDS,
        "timeout_seconds": _seconds(obj.attempt_timeout),
        "on_fail": tuple(_ids(obj.on_fail)),
        "on_success": tuple(_ids(obj.on_success)),
        "cascade": obj.failure_and_rerun_mode == FailureAndRerunMode.CASCADE,
        "late_after_seconds": late,
        "on_late": tuple(_ids(obj.on_late_action)) if late else (),
        "max_active": _count(max_active),
    }


def _activity(
    activity: Activity,
    task_id: str,
    upstream: tuple[str, ...],
    report: list[str],
    objects: Mapping[str, ObjectModel],
    ondemand: bool,
) -> TaskSpec:
    kind = activity.type_name()
    runs_on = activity.runs_on.id if activity.runs_on else None
    queue = None if runs_on else activity.worker_group
    steps = list(activity.step) if isinstance(activity, EmrActivity) else []
    dynamodb_tool = isinstance(activity, EmrActivity) and all_tool_steps(steps)
    common = _common(activity, task_id, ondemand)
    if _runs_on_emr(kind) and not runs_on and not dynamodb_tool:
        reason = (
            f"{kind} runs as steps on the EmrCluster named by runsOn; workerGroup {queue!r} "
            "names a cluster dp-airflow does not manage"
        )
        report.append(f"{activity.id} ({kind}): {reason}; its task fails saying so")
        return TaskSpec(
            kind="Unsupported",
            upstream=upstream,
            queue=queue,
            arguments={"type": kind, "reason": reason},
            **common,
        )
    if not translated(kind, Role.ACTIVITY, Role.EMR_STEPS):
        report.append(
            f"{activity.id} ({kind}): not translated yet; its task fails with that message"
        )
        return TaskSpec(
            kind="Unsupported",
            upstream=upstream,
            queue=queue,
            arguments={"type": kind},
            **common,
        )
    arguments = _task_arguments(activity, REGISTRY[kind].task_fields)
    arguments["inputs"] = _ids(activity.input)
    arguments["outputs"] = _ids(activity.output)
    if dynamodb_tool:
        arguments["dynamodb_tool"] = True
        report.append(
            f"{activity.id}: DynamoDB export/import steps run natively, without starting "
            f"{runs_on or 'a cluster'}"
        )
        return TaskSpec(kind=kind, arguments=arguments, upstream=upstream, **common)
    if _runs_on_emr(kind) and runs_on:
        report.append(f"{activity.id}: steps on the cluster of {runs_on}")
        return TaskSpec(
            kind=kind, arguments=arguments, upstream=upstream, resource=runs_on, **common
        )
    if runs_on:
        resource = objects.get(runs_on)
        limit = (
            _seconds(resource.terminate_after)
            if isinstance(resource, Ec2Resource | EmrCluster)
            else None
        )
        bound = ""
        if limit is not None:
            # terminateAfter ends the EC2 instance and what runs on it: the attempt's time limit.
            common["timeout_seconds"] = min(common["timeout_seconds"] or limit, limit)
            bound = f"; its terminateAfter bounds the run time ({limit} s)"
        report.append(
            f"{activity.id}: runsOn {runs_on} -> runs on an Airflow worker (default queue){bound}"
        )
    elif queue:
        report.append(f"{activity.id}: workerGroup {queue!r} -> Airflow queue {queue!r}")
    return TaskSpec(kind=kind, arguments=arguments, upstream=upstream, queue=queue, **common)


def _sensor(
    precondition: Precondition,
    consumer: ObjectModel,
    task_id: str,
    upstream: tuple[str, ...],
    report: list[str],
    ondemand: bool,
) -> TaskSpec:
    kind = precondition.type_name()
    common = _common(precondition, task_id, ondemand)
    common["display_name"] = f"{precondition.name or precondition.id} ({consumer.id})"
    entry = REGISTRY.get(kind)
    arguments = _task_arguments(precondition, entry.task_fields if entry else ())
    arguments["preconditionTimeout"] = _seconds(precondition.precondition_timeout)
    if not translated(kind, Role.PRECONDITION):
        report.append(f"{precondition.id} ({kind}): precondition not translated yet")
        kind = "Unsupported"
        arguments["type"] = precondition.type_name()
    return TaskSpec(
        kind=kind, arguments=arguments, consumer=consumer.id, upstream=upstream, **common
    )


def _with_clusters(
    tasks: list[TaskSpec],
    objects: Mapping[str, ObjectModel],
    task_ids: Mapping[str, str],
    report: list[str],
    ondemand: bool,
) -> list[TaskSpec]:
    """A setup task starting each EmrCluster its EMR activities run on, and a teardown ending it.

    The setup waits for what its activities wait for, except tasks downstream of those
    activities (so the cluster starts when the first of them could run, without a cycle).
    """
    by_cluster: dict[str, list[TaskSpec]] = {}
    for task in tasks:
        if _runs_on_emr(task.kind) and task.resource is not None and task.resource in objects:
            by_cluster.setdefault(task.resource, []).append(task)
    if not by_cluster:
        return tasks
    downstream: dict[str, set[str]] = {}
    for task in tasks:
        for up in task.upstream:
            downstream.setdefault(up, set()).add(task.task_id)
    out = list(tasks)
    for cluster_id, activities in sorted(by_cluster.items()):
        cluster = objects[cluster_id]
        if not isinstance(cluster, RetryFields):
            continue
        setup_id = task_ids[cluster_id]
        members = {a.task_id for a in activities}
        after = _reachable(members, downstream)
        waits = sorted({u for a in activities for u in a.upstream} - members - after)
        # Airflow requires trigger rule all_success right after a setup task, so cascade cannot
        # apply to an EMR activity: its consumers of a failed dependency end upstream_failed.
        out = [
            replace(
                t,
                upstream=tuple(sorted({*t.upstream, setup_id})),
                setup_task=setup_id,
                cascade=False,
            )
            if t.task_id in members
            else t
            for t in out
        ]
        common = _common(cluster, setup_id, ondemand)
        common["display_name"] = f"{cluster.name or cluster_id} (start)"
        out.append(
            TaskSpec(kind=CLUSTER_KIND, upstream=tuple(waits), resource=cluster_id, **common)
        )
        teardown = _common(cluster, f"{setup_id}__terminate", ondemand)
        teardown["display_name"] = f"{cluster.name or cluster_id} (terminate)"
        teardown["retries"] = 3
        out.append(
            TaskSpec(
                kind=CLUSTER_TEARDOWN_KIND,
                upstream=tuple(sorted({setup_id, *members})),
                resource=cluster_id,
                setup_task=setup_id,
                **teardown,
            )
        )
        report.append(
            f"{cluster_id} (EmrCluster): a setup task starts it, a teardown task terminates it "
            f"after {', '.join(sorted(members))}, even when they fail"
        )
    return out


def _reachable(start: set[str], downstream: Mapping[str, set[str]]) -> set[str]:
    seen: set[str] = set()
    todo = [d for s in start for d in downstream.get(s, ())]
    while todo:
        node = todo.pop()
        if node not in seen:
            seen.add(node)
            todo.extend(downstream.get(node, ()))
    return seen


def _report_unused(
    objects: Mapping[str, ObjectModel], clusters: set[str], report: list[str]
) -> None:
    for object_id, obj in sorted(objects.items()):
        if obj.category is Category.RESOURCE and object_id not in clusters:
            report.append(
                f"{object_id} ({obj.type_name()}): no task; its activities run on Airflow workers"
            )


def _params(definition: RawDefinition, required_allowed: bool) -> dict[str, ParamSpec]:
    supplied = definition.value_texts()
    out: dict[str, ParamSpec] = {}
    for parameter in definition.parameters:
        if parameter.id.startswith("*"):
            continue  # secrets never become Params; they come from Airflow's secrets
        is_array = (parameter.text("isArray") or "").strip().lower() == "true"
        declared_default = parameter.get("default")
        values = list(supplied.get(parameter.id, ())) or (
            [v.text or "" for v in declared_default.values] if declared_default else None
        )
        kind = (parameter.text("type") or "String").strip().lower()
        default: object = values if is_array else (values[0] if values else None)
        allowed = parameter.get("allowedValues")
        optional = (parameter.text("optional") or "").strip().lower() == "true"
        missing = values is None and not optional
        description = parameter.text("description")
        if missing and not required_allowed:
            note = "No value is configured: give one here, or runs fail at the first task using it."
            description = f"{description} ({note})" if description else note
        out[parameter.id] = ParamSpec(
            default=default,
            type={"integer": "integer", "double": "number"}.get(kind, "string"),
            description=description,
            enum=tuple(v.text or "" for v in allowed.values) if allowed else (),
            is_array=is_array,
            required=missing and required_allowed,
        )
    return out


def _doc(definition: RawDefinition, source_file: str, report: list[str]) -> str:
    original = json.dumps(to_cli(definition), indent=2, ensure_ascii=False)
    lines = [f"Translated by dp-airflow from `{Path(source_file).name}`.", ""]
    if report:
        lines += ["**Translation report**", ""] + [f"- {line}" for line in report] + [""]
    lines += ["**Definition** (secret values masked)", "", "```json", original, "```"]
    return "\n".join(lines)

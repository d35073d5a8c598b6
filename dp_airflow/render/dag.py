"""Render a plan into an Airflow DAG: the only place that decides DAG and operator arguments.

``describe_dag`` gives the DAG as constructor calls (``calls``, what the parse cache keeps);
``calls.build_dag`` instantiates them and ``eject`` writes them out as a Python DAG file.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from airflow.providers.amazon.aws.operators.emr import EmrTerminateJobFlowOperator
from airflow.sdk import DAG, BaseOperator, Param

try:  # deadline alerts came with Airflow 3.1; on 3.0 late alarms are not sent (docs say so)
    from airflow.sdk.definitions.callback import AsyncCallback
    from airflow.sdk.definitions.deadline import DeadlineAlert, DeadlineReference
except ImportError:  # pragma: no cover - exercised by the Airflow 3.0 smoke run
    DEADLINES = False
else:
    DEADLINES = True

from dp_airflow.model.registry import REGISTRY, Role, TypeEntry
from dp_airflow.notifiers.late_action import notify_late
from dp_airflow.notifiers.sns_alarm import SnsAlarmNotifier
from dp_airflow.operators.base import (
    EvaluatedFields,
    UnsupportedObjectOperator,
    list_argument,
    text_argument,
)
from dp_airflow.operators.dynamodb_tools import DynamoDBExportImportOperator
from dp_airflow.operators.invalid_definition import InvalidDefinitionOperator
from dp_airflow.plan.pipeline_runtime import PipelineRuntime
from dp_airflow.plan.planner import (
    CLUSTER_TEARDOWN_KIND,
    DagSpec,
    ParamSpec,
    TaskSpec,
)
from dp_airflow.render.calls import PIPELINE, Attribute, Call, DagCall, TaskCall, build_dag
from dp_airflow.schedule.timetable import dag_schedule_arguments

NO_DEADLINES = (
    "**Late alarms are not sent**: `onLateAction` SnsAlarms are Airflow deadline alerts, which "
    "need Airflow 3.1 or later."
)
SENSOR_TIMEOUT = timedelta(days=7)
"""Without ``preconditionTimeout`` a precondition waits this long (Airflow's own default)."""


def _common(task: TaskSpec, runtime: PipelineRuntime) -> dict[str, Any]:
    kwargs: dict[str, Any] = {
        "task_id": task.task_id,
        "task_display_name": task.display_name,
        "object_id": task.object_id,
        "pipeline": PIPELINE,
        "retries": task.retries,
        "retry_delay": timedelta(seconds=task.retry_delay_seconds),
        "cascade": task.cascade,
    }
    if any(_type_of(action, runtime) == "Terminate" for action in task.on_late):
        kwargs["terminate_late_after"] = task.late_after_seconds
    if task.queue:
        kwargs["queue"] = task.queue
    if task.max_active is not None:
        kwargs["max_active_tis_per_dag"] = task.max_active
    return kwargs


def _type_of(object_id: str, runtime: PipelineRuntime) -> str | None:
    obj = runtime.objects.get(object_id)
    return obj.type if obj is not None else None


def _late_alarms(spec: DagSpec, runtime: PipelineRuntime) -> list[tuple[TaskSpec, str]]:
    """(late-checked task, its ``onLateAction`` SnsAlarm) pairs."""
    return [
        (task, action)
        for task in spec.tasks
        if task.late_after_seconds is not None
        for action in task.on_late
        if _type_of(action, runtime) == "SnsAlarm"
    ]


def _late_alert(spec: DagSpec, task: TaskSpec, action: str) -> Call:
    """A deadline alert measured from the run's logical date (its scheduled start); it fires
    while the run is unfinished then."""
    callback = Call(
        AsyncCallback,
        {
            "kwargs": {
                "definition": spec.source_file,
                "source_dag_id": spec.source_dag_id,
                "dag_id": spec.dag_id,
                "alarm_id": action,
                "node_id": task.object_id,
            }
        },
        (notify_late,),
    )
    return Call(
        DeadlineAlert,
        {
            "reference": Attribute(DeadlineReference, "DAGRUN_LOGICAL_DATE"),
            "interval": timedelta(seconds=task.late_after_seconds or 0),
            "callback": callback,
            "name": f"{task.object_id} late ({action})",
        },
    )


def _alarms(
    ids: tuple[str, ...], task: TaskSpec, runtime: PipelineRuntime, event: str
) -> list[Call]:
    """Notifiers for the SnsAlarm objects among ``ids`` (Terminate acts on lateness only)."""
    return [
        Call(
            SnsAlarmNotifier,
            {"alarm_id": alarm, "node_id": task.object_id, "pipeline": PIPELINE, "event": event},
        )
        for alarm in ids
        if alarm in runtime.objects and runtime.objects[alarm].type == "SnsAlarm"
    ]


def _activity(task: TaskSpec, runtime: PipelineRuntime) -> dict[str, Any]:
    kwargs = _common(task, runtime)
    if on_fail := _alarms(task.on_fail, task, runtime, "fail"):
        kwargs["on_failure_callback"] = on_fail
    if on_success := _alarms(task.on_success, task, runtime, "success"):
        kwargs["on_success_callback"] = on_success
    if task.timeout_seconds:
        kwargs["execution_timeout"] = timedelta(seconds=task.timeout_seconds)
    return kwargs


def _sensor(task: TaskSpec, runtime: PipelineRuntime) -> dict[str, Any]:
    kwargs = _common(task, runtime)
    timeout = task.arguments.get("preconditionTimeout")
    kwargs.update(
        consumer=task.consumer,
        mode="reschedule",
        poke_interval=float(task.retry_delay_seconds),
        timeout=float(timeout) if isinstance(timeout, int) else SENSOR_TIMEOUT.total_seconds(),
    )
    return kwargs


def _emr_cluster_termination(task: TaskSpec, runtime: PipelineRuntime) -> Call:
    setup = task.setup_task
    return _operator(
        EmrTerminateJobFlowOperator,
        task_id=task.task_id,
        task_display_name=task.display_name,
        job_flow_id=f"{{{{ ti.xcom_pull(task_ids='{setup}') }}}}",
        retries=task.retries,
        retry_delay=timedelta(seconds=60),
    )


def _emr_steps(task: TaskSpec, runtime: PipelineRuntime, steps: type[BaseOperator]) -> Call:
    if task.arguments.get("dynamodb_tool"):  # run natively, without the cluster
        return _operator(DynamoDBExportImportOperator, **_activity(task, runtime))
    return _operator(
        steps,
        activity_type=task.kind,
        cluster_object_id=task.resource or "",
        cluster_task_id=task.setup_task or "",
        inputs=list_argument(task.arguments.get("inputs")),
        outputs=list_argument(task.arguments.get("outputs")),
        **_activity(task, runtime),
    )


def _unsupported(task: TaskSpec, runtime: PipelineRuntime) -> Call:
    kwargs = _activity(task, runtime) if task.consumer is None else _common(task, runtime)
    kwargs["retries"] = 0
    return _operator(
        UnsupportedObjectOperator,
        object_type=str(task.arguments.get("type")),
        reason=text_argument(task.arguments.get("reason")),
        **kwargs,
    )


def _operator(cls: type[BaseOperator], **kwargs: Any) -> Call:
    return Call(cls, kwargs)


def operator_class(entry: TypeEntry) -> type[BaseOperator]:
    """The operator or sensor class a registry entry names."""
    module, name = (entry.operator or "").rsplit(".", 1)
    found: type[BaseOperator] = getattr(importlib.import_module(module), name)
    return found


def _registered(task: TaskSpec, runtime: PipelineRuntime) -> Call:
    """A task of a Data Pipeline type: its registry entry's operator, with the arguments the
    operator takes from the plan and those of its role."""
    entry = REGISTRY[task.kind]
    if entry.role is Role.EMR_STEPS:
        return _emr_steps(task, runtime, operator_class(entry))
    if entry.role is Role.CLUSTER:
        return _operator(operator_class(entry), **_activity(task, runtime))
    cls = operator_class(entry)
    own = cls.plan_arguments(task.arguments) if issubclass(cls, EvaluatedFields) else {}
    role = _sensor(task, runtime) if entry.role is Role.PRECONDITION else _activity(task, runtime)
    return _operator(cls, **own, **role)


PLAN_KINDS: Mapping[str, Callable[[TaskSpec, PipelineRuntime], Call]] = {
    CLUSTER_TEARDOWN_KIND: _emr_cluster_termination,
    "Unsupported": _unsupported,
}
"""Task kinds of the plan that are not Data Pipeline types; every other kind is a type whose
registry entry names its operator."""


def _task_call(task: TaskSpec, runtime: PipelineRuntime) -> Call:
    builder = PLAN_KINDS.get(task.kind, _registered)
    return builder(task, runtime)


def _param(spec: ParamSpec) -> Call:
    schema: dict[str, Any] = {}
    if spec.is_array:
        schema["type"] = "array" if spec.required else ["array", "null"]
        schema["items"] = {"type": spec.type, **({"enum": list(spec.enum)} if spec.enum else {})}
        if spec.required:
            schema["minItems"] = 1
    else:
        nullable = spec.default is None and not spec.required
        schema["type"] = [spec.type, "null"] if nullable else spec.type
        if spec.enum:
            schema["enum"] = list(spec.enum)
    if spec.required:
        return Call(Param, {"description": spec.description, **schema})  # the form asks
    default = spec.default
    if not spec.is_array and isinstance(default, str) and spec.type in ("integer", "number"):
        default = int(default) if spec.type == "integer" else float(default)
    return Call(Param, {"description": spec.description, **schema}, (default,))


INVALID_TAG = "dp-airflow:invalid"
INVALID_TASK_ID = "definition_errors"


def render_invalid_dag(dag_id: str, source_file: str, diagnostics: list[str]) -> DAG:
    """The stand-in for a definition that cannot become a DAG: same DAG id, no schedule, tagged
    ``dp-airflow:invalid``, the diagnostics in its description and docs, one task that fails
    with them if triggered. Its other pipelines' DAGs are not affected."""
    text = "\n".join(diagnostics)
    first = diagnostics[0].splitlines()[0] if diagnostics else "no pipeline objects"
    errors = sum(1 for line in diagnostics if ": error: " in line.splitlines()[0])
    count = f"{errors} error(s)" if errors else "cannot be loaded"
    doc = "\n".join(
        [
            f"**Invalid Data Pipeline definition** `{source_file}`: {count}.",
            "",
            "Nothing of this pipeline runs until the file is fixed; the DAG then comes back with "
            "its schedule on the next parse. The other pipelines are not affected.",
            "",
            "```",
            text,
            "```",
        ]
    )
    with DAG(
        dag_id,
        schedule=None,
        start_date=datetime(2000, 1, 1, tzinfo=UTC),
        catchup=False,
        tags=["dp-airflow", INVALID_TAG],
        description=f"Invalid definition ({count}): {first}"[:1000],
        doc_md=doc,
        default_args={"owner": "dp-airflow"},
        auto_register=False,  # see calls.build_dag
    ) as dag:
        InvalidDefinitionOperator(task_id=INVALID_TASK_ID, diagnostics=text)
    return dag


def describe_dag(spec: DagSpec, runtime: PipelineRuntime, catchup: bool) -> DagCall:
    """The DAG of ``spec`` as constructor calls, the runtime standing as ``PIPELINE``."""
    arguments = dag_schedule_arguments(runtime.schedule, catchup)
    starts = [s.spec.start for s in runtime.schedule.schedules if not s.first_activation]
    start = min(starts) if starts else datetime(2000, 1, 1, tzinfo=UTC)
    doc = spec.doc_md
    if late := _late_alarms(spec, runtime):
        if DEADLINES:
            arguments["deadline"] = [_late_alert(spec, task, action) for task, action in late]
        else:
            doc += f"\n\n{NO_DEADLINES}"
    per_object = [t.max_active for t in spec.tasks if t.max_active is not None]
    if per_object and not runtime.schedule.ondemand:
        # Runs beyond the Default's limit are needed when an object allows more instances.
        arguments["max_active_runs"] = max(arguments["max_active_runs"], *per_object)
    kwargs = {
        "start_date": start,
        "tags": list(spec.tags),
        "doc_md": doc,
        "params": {key: _param(p) for key, p in spec.params.items()},
        "default_args": {"owner": "dp-airflow"},
        **arguments,
    }
    tasks = tuple(
        TaskCall(
            task.task_id,
            _task_call(task, runtime),
            task.upstream,
            # Runs when its activities are done, whatever their state, once the cluster
            # started; the run's state still comes from the activities.
            task.setup_task if task.kind == CLUSTER_TEARDOWN_KIND else None,
        )
        for task in spec.tasks
    )
    return DagCall(spec.dag_id, kwargs, tasks)


def render_dag(spec: DagSpec, runtime: PipelineRuntime, catchup: bool) -> DAG:
    """The Airflow DAG of a planned pipeline."""
    return build_dag(describe_dag(spec, runtime, catchup), runtime)

"""onLateAction SnsAlarm: the callback of the deadline alert a late-checked object becomes.

Airflow runs it in the triggerer when a run is still unfinished ``lateAfterTimeout`` after its
logical date (the scheduled start), with a small context: the DAG run as JSON. The definition is
read again here (the triggerer holds no DAG objects), or for an ejected DAG its Python file,
whose ``PIPELINE`` is the runtime; the alarm is evaluated for the late object's instance in that
run, with ``node`` = that object and ``errorMessage`` saying it is late.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from dp_airflow.discovery import PipelineSource
from dp_airflow.errors import DefinitionError
from dp_airflow.notifiers.sns_alarm import publish_alarm
from dp_airflow.plan.pipeline_runtime import PipelineRuntime, param_overrides
from dp_airflow.plan.translation import source_for, translate_source


async def notify_late(
    *,
    definition: str,
    dag_id: str,
    alarm_id: str,
    node_id: str,
    context: dict[str, Any],
    source_dag_id: str | None = None,
    aws_conn_id: str | None = "aws_default",
) -> None:
    """The deadline alert's callback: publish the late object's onLateAction SnsAlarm."""
    source = source_for(Path(definition), source_dag_id)
    await asyncio.to_thread(_publish, source, dag_id, alarm_id, node_id, context, aws_conn_id)


def _runtime(source: PipelineSource, dag_id: str) -> PipelineRuntime | None:
    if source.definition.suffix != ".py":
        # Translated afresh, not through the DAG processor's parse cache: a late alarm is rare,
        # and the run-time side must not reach up into the loader.
        try:
            return {spec.dag_id: runtime for spec, runtime in translate_source(source)}.get(dag_id)
        except DefinitionError:
            return None
    import importlib.util

    spec = importlib.util.spec_from_file_location(f"dp_airflow_ejected_{dag_id}", source.definition)
    if spec is None or spec.loader is None:
        return None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    found = getattr(module, "PIPELINE", None)
    return found if isinstance(found, PipelineRuntime) else None


def _publish(
    source: PipelineSource,
    dag_id: str,
    alarm_id: str,
    node_id: str,
    context: dict[str, Any],
    aws_conn_id: str | None,
) -> None:
    runtime = _runtime(source, dag_id)
    if runtime is None or alarm_id not in runtime.objects:
        raise LookupError(f"{source.definition}: no pipeline {dag_id!r} with an alarm {alarm_id!r}")
    run = context.get("dag_run") or {}
    task_context = {
        "data_interval_start": _moment(run.get("data_interval_start")),
        "data_interval_end": _moment(run.get("data_interval_end")),
        "dag_run": SimpleNamespace(
            run_type=run.get("run_type") or "", run_after=_moment(run.get("run_after"))
        ),
    }
    instance = runtime.instance_for(node_id, task_context)
    if instance is None:
        return
    # Values given for the run, then values files (Variables are not read in the triggerer).
    overrides = {**runtime.supplied, **param_overrides(run.get("conf") or {})}
    late = {"errorMessage": f"{node_id} is late: the run was unfinished at its lateAfterTimeout"}
    publish_alarm(runtime, alarm_id, node_id, instance, overrides, late, aws_conn_id)


def _moment(value: object) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and value:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    return None

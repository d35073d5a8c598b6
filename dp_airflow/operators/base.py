"""The base of every dp-airflow operator: Data Pipeline expressions instead of Jinja.

``render_template_fields`` evaluates the Data Pipeline field values held in ``template_fields``
with the pipeline's evaluator for the task's own instance, so the task's Rendered Template view
shows exactly the values it uses, and ``{{ ... }}`` in a definition is never run as Jinja. Values
of ``*`` parameters and fields are registered with Airflow's secrets masker first.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import Any

from airflow.sdk import BaseOperator

from dp_airflow.expressions.evaluate import render, render_values
from dp_airflow.plan.pipeline_runtime import PipelineRuntime
from dp_airflow.runtime.attempt_fields import attempt_fields
from dp_airflow.runtime.compat import AirflowFailException, AirflowSkipException
from dp_airflow.schedule.model import Instance


def text_argument(value: object) -> str | None:
    """A plan argument as one text (None when absent)."""
    return None if value is None else str(value)


def list_argument(value: object) -> list[str]:
    """A plan argument as a list of texts (one value or several)."""
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def first_argument(value: object) -> str:
    """The first text of a plan argument ("" when absent)."""
    items = list_argument(value)
    return items[0] if items else ""


class EvaluatedFields:
    """Mixin: ``template_fields`` hold Data Pipeline values, evaluated per run, never Jinja.

    Mixed into dp-airflow's operators and into provider operators and sensors reused as they are,
    so their templated attributes take Data Pipeline expressions.

    :param object_id: the Data Pipeline object this task runs.
    :param pipeline: the pipeline's runtime (evaluation scopes and schedules).
    :param consumer: for preconditions, the object waiting for them (``node`` in expressions).
    :param cascade: ``failureAndRerunMode: cascade``: the task runs once its dependencies are
        done (trigger rule ``all_done``) and fails as CASCADE_FAILED when one of them failed.
    :param terminate_late_after: seconds after the scheduled start past which a ``Terminate``
        ``onLateAction`` cancels the task (it fails without retrying) instead of starting it.
    """

    def __init__(
        self,
        *,
        object_id: str,
        pipeline: PipelineRuntime,
        consumer: str | None = None,
        cascade: bool = False,
        terminate_late_after: int | None = None,
        **kwargs: Any,
    ) -> None:
        if cascade:
            kwargs["trigger_rule"] = "all_done"
        super().__init__(**kwargs)
        self.object_id = object_id
        self.pipeline = pipeline
        # Set only when not the class's default: each attribute set on an operator goes
        # through Airflow's __setattr__, a measurable share of a parse of hundreds of tasks.
        if consumer is not None:
            self.consumer = consumer
        if cascade:
            self.cascade = cascade
        if terminate_late_after is not None:
            self.terminate_late_after = terminate_late_after

    consumer: str | None = None
    cascade: bool = False
    terminate_late_after: int | None = None
    _instance: Instance | None = None
    """This run's instance of the object, once the task renders its fields."""
    _overrides: Mapping[str, tuple[str, ...]] = MappingProxyType({})
    """Parameter values of the run being rendered (kept for scopes built later)."""

    @classmethod
    def plan_arguments(cls, arguments: Mapping[str, object]) -> dict[str, Any]:
        """Its own constructor arguments, from its task's plan arguments (the fields its
        registry entry names, as written, a reference as the id it names; and the ids of its
        input and output nodes)."""
        return {}

    def render_template_fields(self, context: Any, jinja_env: Any = None) -> None:
        self._overrides = self.pipeline.run_overrides(context)
        schedule_owner = self.consumer or self.object_id
        self._instance = self.pipeline.instance_for(schedule_owner, context)
        if self._instance is None:
            return  # not this object's instance: execute() skips
        scope = self.pipeline.scope(
            self.object_id,
            self._instance,
            self._overrides,
            self.runtime_fields(context),
            node_id=self.consumer,
        )
        for attribute in getattr(self, "template_fields", ()):
            value = getattr(self, attribute)
            if isinstance(value, str):
                setattr(self, attribute, render(value, scope))
            elif isinstance(value, (list, tuple)):
                setattr(self, attribute, list(render_values(tuple(value), scope)))

    def pre_execute(self, context: Any) -> None:
        if self.cascade:
            self._cascade_from_dependencies(context)
        if self.terminate_late_after is not None and self._instance is not None:
            deadline = self._instance.scheduled_start + timedelta(seconds=self.terminate_late_after)
            if datetime.now(UTC) > deadline:
                raise AirflowFailException(
                    f"{self.object_id}: CANCELED by Terminate: not started within "
                    f"lateAfterTimeout ({self.terminate_late_after} s after "
                    f"{self._instance.scheduled_start:%Y-%m-%dT%H:%M:%S})"
                )

    def _cascade_from_dependencies(self, context: Any) -> None:
        ti = context["ti"]
        upstream = sorted(getattr(self, "upstream_task_ids", ()))
        if not upstream:
            return
        states = ti.get_task_states(dag_id=ti.dag_id, run_ids=[ti.run_id], task_ids=upstream)
        run_states: Mapping[str, Any] = states.get(ti.run_id, {})
        failed = sorted(t for t, s in run_states.items() if s in ("failed", "upstream_failed"))
        if failed:
            raise AirflowFailException(
                f"{self.object_id}: CASCADE_FAILED: its dependency {', '.join(failed)} failed"
            )
        if any(s == "skipped" for s in run_states.values()):
            raise AirflowSkipException(f"{self.object_id}: a dependency was skipped")

    def runtime_fields(self, context: Mapping[str, Any]) -> dict[str, Any]:
        """Runtime fields beyond the schedule times: the running attempt's (subclasses may
        add)."""
        return attempt_fields(context)

    def node_scope(self, node_id: str, instance: Instance) -> Any:
        """The scope of another object's instance in this run (a data node's paths)."""
        return self.pipeline.scope(node_id, instance, self._overrides)

    def field_values(self, object_id: str, name: str, instance: Instance) -> list[str]:
        """Every value of another object's field (a node, database or cluster), evaluated in
        that object's scope for this run."""
        effective = self.pipeline.objects[object_id].fields.get(name)
        if effective is None:
            return []
        scope = self.node_scope(object_id, instance)
        out: list[str] = []
        for value in effective.field.values:
            if value.text is None:
                continue
            rendered = render(value.text, scope)
            out += [rendered] if isinstance(rendered, str) else list(rendered)
        return out

    def field_value(self, object_id: str, name: str, instance: Instance) -> str | None:
        """The first value of another object's field, evaluated (None when unset)."""
        text = self.pipeline.objects[object_id].value_text(name)
        if text is None:
            return None
        rendered = render(text, self.node_scope(object_id, instance))
        return rendered if isinstance(rendered, str) else ",".join(rendered)

    def skip_unless_scheduled(self) -> Instance:
        if self._instance is None:
            raise AirflowSkipException(
                f"{self.object_id}: its schedule has no instance at this run's time"
            )
        return self._instance


class DataPipelineOperator(EvaluatedFields, BaseOperator):
    """Runs one Data Pipeline object's instance (subclasses implement ``run_instance``)."""

    ui_color = "#e8f0fe"

    def execute(self, context: Any) -> Any:
        return self.run_instance(context, self.skip_unless_scheduled())

    def run_instance(self, context: Any, instance: Instance) -> Any:
        raise NotImplementedError


class UnsupportedObjectOperator(DataPipelineOperator):
    """Stands for an object type dp-airflow does not translate yet; fails saying so."""

    template_fields = ()
    ui_color = "#f8d7da"

    def __init__(self, *, object_type: str, reason: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.object_type = object_type
        self.reason = reason

    def run_instance(self, context: Any, instance: Instance) -> Any:
        reason = self.reason or f"{self.object_type} objects are not translated by dp-airflow yet"
        raise AirflowFailException(f"{self.object_id}: {reason}")

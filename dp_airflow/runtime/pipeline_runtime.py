"""A pipeline as tasks see it at run time: scopes for evaluation and each task's own instance.

Built once per DAG parse from the validated definition and held by every operator of the DAG
(Airflow parses the DAG file again on the worker, so nothing here is serialized).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from dp_airflow.definition.inheritance import ResolvedObject
from dp_airflow.definition.raw import RawParameter
from dp_airflow.expressions.scope import Environment, InstanceScope, Interval
from dp_airflow.schedule.model import Instance
from dp_airflow.schedule.pipeline import PipelineSchedule, pipeline_schedule


@dataclass
class PipelineRuntime:
    objects: Mapping[str, ResolvedObject]
    parameters: Mapping[str, RawParameter]
    values: Mapping[str, tuple[str, ...]]
    schedule: PipelineSchedule
    pipeline_id: str

    @classmethod
    def build(
        cls,
        objects: Mapping[str, ResolvedObject],
        parameters: Mapping[str, RawParameter],
        values: Mapping[str, tuple[str, ...]],
        pipeline_id: str,
    ) -> PipelineRuntime:
        return cls(
            objects, parameters, values, pipeline_schedule(objects, parameters, values), pipeline_id
        )

    def secret_values(self, overrides: Mapping[str, tuple[str, ...]] = {}) -> list[str]:
        """Values of ``*`` parameters and ``*`` fields, to register with Airflow's masker."""
        out = [
            v
            for key, values in {**self.values, **overrides}.items()
            if key.startswith("*")
            for v in values
        ]
        for parameter in self.parameters.values():
            default = parameter.get("default")
            if parameter.id.startswith("*") and default is not None:
                out.extend(v.text or "" for v in default.values)
        for obj in self.objects.values():
            for key, effective in obj.fields.items():
                if key.startswith("*"):
                    out.extend(
                        v.text for v in effective.field.values if v.text and "#{" not in v.text
                    )
        return [v for v in out if v]

    def run_overrides(self, context: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
        """Parameter values for this run: the trigger form's Params and ``*`` parameters from
        Airflow's secrets; every secret value is registered with Airflow's masker first."""
        from airflow.sdk.log import mask_secret

        overrides = {**param_overrides(context.get("params") or {}), **secret_overrides(self)}
        for secret in self.secret_values(overrides):
            mask_secret(secret)
        return overrides

    def instance_for(self, object_id: str, context: Mapping[str, Any]) -> Instance | None:
        """This task's own instance in the run, or None when its schedule has none then.

        Scheduled runs happen at the union of the pipeline's schedules' run times: a task runs
        only when its own schedule runs at the run's time. A manual run takes the instance that
        holds the run's data interval start.
        """
        named = self.schedule.for_object(object_id)
        start, end = context.get("data_interval_start"), context.get("data_interval_end")
        dag_run = context.get("dag_run")
        run_after = getattr(dag_run, "run_after", None)
        if named is None or named.first_activation:
            return _plain_instance(start or run_after, end)
        run_type = str(getattr(dag_run, "run_type", "") or "")
        if start is not None and (run_type.endswith("scheduled") or run_type.endswith("backfill")):
            return named.spec.instance_running_at(run_after or start)
        # A manual run (with no data interval when triggered without a logical date): the
        # instance holding its start, or its trigger time.
        moment = start or run_after
        if moment is None:
            return _plain_instance(None, None)
        return named.spec.instance_containing(moment) or _plain_instance(moment, end)

    def scope(
        self,
        object_id: str,
        instance: Instance,
        overrides: Mapping[str, tuple[str, ...]] = {},
        extra: Mapping[str, Any] = {},
        node_id: str | None = None,
    ) -> InstanceScope:
        """The object's instance; ``node_id`` is the object an action or precondition serves."""
        env = Environment(
            self.objects,
            self.parameters,
            {**self.values, **overrides},
            pipeline_id=self.pipeline_id,
        )
        interval = Interval(
            instance.scheduled_start,
            instance.scheduled_end,
            actual_start=datetime.now(UTC).replace(microsecond=0),
            extra=extra,
        )
        node = InstanceScope(env, node_id, interval) if node_id else None
        return InstanceScope(env, object_id, interval, node)


def _plain_instance(start: datetime | None, end: datetime | None) -> Instance:
    moment = start or datetime.now(UTC).replace(microsecond=0)
    return Instance(0, moment, end or moment, moment)


def secret_overrides(runtime: PipelineRuntime) -> dict[str, tuple[str, ...]]:
    """Values of ``*`` parameters from Airflow's secrets (Variables, thus any secrets backend).

    ``*myPassword`` is looked up as the Variable ``<dag id>__myPassword``, then ``myPassword``;
    without either, the definition's own value or default applies. Never from DAG-run conf.
    """
    from airflow.sdk import Variable

    out: dict[str, tuple[str, ...]] = {}
    for parameter_id in runtime.parameters:
        if not parameter_id.startswith("*"):
            continue
        name = parameter_id[1:]
        for key in (f"{runtime.pipeline_id}__{name}", name):
            value = Variable.get(key, default=None)
            if value is not None:
                out[parameter_id] = (str(value),)
                break
    return out


def param_overrides(params: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    """DAG Params (the trigger form) as parameter values; lists are array parameters."""
    out: dict[str, tuple[str, ...]] = {}
    for key, value in params.items():
        if value is None or key.startswith("*"):
            continue  # secrets never come from run conf
        out[key] = (
            tuple(str(v) for v in value) if isinstance(value, (list, tuple)) else (str(value),)
        )
    return out

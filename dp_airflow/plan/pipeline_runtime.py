"""A pipeline as tasks see it at run time: scopes for evaluation and each task's own instance.

Built once per DAG parse from the validated definition and held by every operator of the DAG
(Airflow parses the DAG file again on the worker, so nothing here is serialized).
"""

from __future__ import annotations

import pickle
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import Any

from dp_airflow.expressions.scope import Environment, InstanceScope, Interval
from dp_airflow.read.raw import RawParameter
from dp_airflow.resolve.inheritance import ResolvedObject
from dp_airflow.schedule.model import Instance
from dp_airflow.schedule.pipeline import PipelineSchedule, pipeline_schedule


@dataclass
class PipelineRuntime:
    """What tasks evaluate against: objects' fields, parameters, values and the schedule."""

    objects: Mapping[str, ResolvedObject]
    parameters: Mapping[str, RawParameter]
    values: Mapping[str, tuple[str, ...]]
    """The definition's own values."""
    schedule: PipelineSchedule
    pipeline_id: str
    supplied: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Values from values files and, for ``dp-airflow run``, the command line (they rank above
    Airflow Variables and the definition's own values; secrets among them stay in memory)."""

    @classmethod
    def build(
        cls,
        objects: Mapping[str, ResolvedObject],
        parameters: Mapping[str, RawParameter],
        values: Mapping[str, tuple[str, ...]],
        pipeline_id: str,
        supplied: Mapping[str, tuple[str, ...]] | None = None,
    ) -> PipelineRuntime:
        supplied = dict(supplied or {})
        schedule = pipeline_schedule(objects, parameters, {**values, **supplied}, pipeline_id)
        return cls(objects, parameters, values, schedule, pipeline_id, supplied)

    def __reduce__(self) -> tuple[Any, tuple[bytes]]:
        # Pickled as one opaque blob, unpickled when first used: the DAG processor builds DAGs
        # from the parse cache without evaluating anything, so it never pays for the objects.
        pickled = self.__dict__.get("_pickled")
        if pickled is None:
            state = tuple(getattr(self, f.name) for f in fields(self))
            pickled = pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL)
        return (_unpickled_on_use, (pickled,))

    def __getattr__(self, name: str) -> Any:
        # Only reached for the fields of a runtime still pickled (see __reduce__). The fields
        # are set before the blob goes, so another thread always finds one or the other.
        pickled = self.__dict__.get("_pickled")
        if pickled is None:
            raise AttributeError(name)
        for spec, value in zip(fields(self), pickle.loads(pickled), strict=True):
            self.__dict__.setdefault(spec.name, value)
        self.__dict__.pop("_pickled", None)
        return getattr(self, name)

    def secret_values(self, overrides: Mapping[str, tuple[str, ...]] = {}) -> list[str]:
        """Values of ``*`` parameters and ``*`` fields, to register with Airflow's masker."""
        out = [
            v
            for key, values in {**self.values, **self.supplied, **overrides}.items()
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

    def form_value(self, parameter_id: str) -> tuple[str, ...] | None:
        """The value known when the DAG was parsed (the trigger form's default)."""
        if parameter_id in self.supplied:
            return self.supplied[parameter_id]
        if parameter_id in self.values:
            return self.values[parameter_id]
        declared = self.parameters.get(parameter_id)
        default = declared.get("default") if declared is not None else None
        return tuple(v.text or "" for v in default.values) if default is not None else None

    def run_overrides(self, context: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
        """Parameter values for this run, by precedence: values given for the run (trigger
        form, ``dp-airflow run``), values files, Airflow Variables; the definition's own
        values and defaults lie below these. Every secret value is registered with Airflow's
        masker first."""
        from airflow.sdk.log import mask_secret

        explicit = {
            key: value
            for key, value in param_overrides(context.get("params") or {}).items()
            if not self._same(key, value, self.form_value(key))
        }
        variables = variable_overrides(self, skip={*explicit, *self.supplied})
        overrides = {**variables, **self.supplied, **explicit}
        for secret in self.secret_values(overrides):
            mask_secret(secret)
        return overrides

    def _same(self, key: str, value: tuple[str, ...], default: tuple[str, ...] | None) -> bool:
        """Whether a form value is the form's default (then it is no value given for the run).

        Numbers are compared as numbers: the form turns ``"5"`` into ``5.0`` for a Double."""
        if default is None:
            return False
        declared = self.parameters.get(key)
        kind = ((declared.text("type") if declared else None) or "String").strip().lower()
        return tuple(map(_normal(kind), value)) == tuple(map(_normal(kind), default))

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
        started = extra.get("@actualStartTime")
        interval = Interval(
            instance.scheduled_start,
            instance.scheduled_end,
            actual_start=started
            if isinstance(started, datetime)
            else datetime.now(UTC).replace(microsecond=0),
            extra=extra,
        )
        node = InstanceScope(env, node_id, interval) if node_id else None
        return InstanceScope(env, object_id, interval, node)


def _unpickled_on_use(pickled: bytes) -> PipelineRuntime:
    runtime = PipelineRuntime.__new__(PipelineRuntime)
    runtime.__dict__["_pickled"] = pickled
    return runtime


def _plain_instance(start: datetime | None, end: datetime | None) -> Instance:
    moment = start or datetime.now(UTC).replace(microsecond=0)
    return Instance(0, moment, end or moment, moment)


def _normal(kind: str) -> Any:
    def normal(text: str) -> str:
        try:
            if kind == "integer":
                return str(int(float(text)))
            if kind == "double":
                return repr(float(text))
        except ValueError:
            pass
        return text

    return normal


def variable_overrides(
    runtime: PipelineRuntime, skip: set[str] | frozenset[str] = frozenset()
) -> dict[str, tuple[str, ...]]:
    """Parameter values from Airflow Variables (thus from any secrets backend).

    ``myRegion`` is looked up as the Variable ``<dag id>__myRegion``, then ``myRegion``; a
    secret ``*myPassword`` likewise without its ``*``. A Variable holding a JSON list gives an
    array parameter its values.
    """
    import contextlib
    import json

    from airflow.sdk import Variable

    out: dict[str, tuple[str, ...]] = {}
    for parameter_id, parameter in runtime.parameters.items():
        if parameter_id in skip:
            continue
        name = parameter_id.removeprefix("*")
        is_array = (parameter.text("isArray") or "").strip().lower() == "true"
        for key in (f"{runtime.pipeline_id}__{name}", name):
            value = Variable.get(key, default=None)
            if value is None:
                continue
            text = str(value)
            items = None
            if is_array and text.lstrip().startswith("["):
                with contextlib.suppress(ValueError):
                    items = json.loads(text)
            out[parameter_id] = tuple(str(v) for v in items) if isinstance(items, list) else (text,)
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

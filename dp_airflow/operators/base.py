"""The base of every dp-airflow operator: Data Pipeline expressions instead of Jinja.

``render_template_fields`` evaluates the Data Pipeline field values held in ``template_fields``
with the pipeline's evaluator for the task's own instance, so the task's Rendered Template view
shows exactly the values it uses, and ``{{ ... }}`` in a definition is never run as Jinja. Values
of ``*`` parameters and fields are registered with Airflow's secrets masker first.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from airflow.sdk import BaseOperator
from airflow.sdk.exceptions import AirflowSkipException
from airflow.sdk.log import mask_secret

from dp_airflow.expressions.evaluate import render, render_values
from dp_airflow.runtime.pipeline_runtime import PipelineRuntime, param_overrides
from dp_airflow.schedule.model import Instance


class DataPipelineOperator(BaseOperator):
    """Runs one Data Pipeline object's instance.

    :param object_id: the Data Pipeline object this task runs.
    :param pipeline: the pipeline's runtime (evaluation scopes and schedules).
    """

    ui_color = "#e8f0fe"

    def __init__(self, *, object_id: str, pipeline: PipelineRuntime, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.object_id = object_id
        self.pipeline = pipeline
        self._instance: Instance | None = None

    def render_template_fields(self, context: Any, jinja_env: Any = None) -> None:
        overrides = param_overrides(context.get("params") or {})
        for secret in self.pipeline.secret_values(overrides):
            mask_secret(secret)
        self._instance = self.pipeline.instance_for(self.object_id, context)
        if self._instance is None:
            return  # not this object's instance: execute() skips
        scope = self.pipeline.scope(
            self.object_id, self._instance, overrides, self.runtime_fields(context)
        )
        for attribute in self.template_fields:
            value = getattr(self, attribute)
            if isinstance(value, str):
                setattr(self, attribute, render(value, scope))
            elif isinstance(value, (list, tuple)):
                setattr(self, attribute, list(render_values(tuple(value), scope)))

    def runtime_fields(self, context: Mapping[str, Any]) -> dict[str, Any]:
        """Runtime fields beyond the schedule times (subclasses may add)."""
        return {}

    def execute(self, context: Any) -> Any:
        if self._instance is None:
            raise AirflowSkipException(
                f"{self.object_id}: its schedule has no instance at this run's time"
            )
        return self.run_instance(context, self._instance)

    def run_instance(self, context: Any, instance: Instance) -> Any:
        raise NotImplementedError

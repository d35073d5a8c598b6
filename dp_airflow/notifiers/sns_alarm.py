"""SnsAlarm: publish the alarm's evaluated subject and message when its object fails or succeeds.

``node`` in the alarm's fields is the object that fired it, for the same instance, with its
attempt's runtime fields (``@status``, ``@actualStartTime``, ``@actualEndTime``, ``hostname``,
``errorMessage``, ``errorId``, ``errorStackTrace``, ``@cascadeFailedOn``, ``emrStepLog``…).
The alarm's ``role`` is not used: credentials come from
the Airflow AWS connection (``aws_default`` unless set).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from airflow.providers.amazon.aws.hooks.sns import SnsHook
from airflow.sdk import BaseNotifier

from dp_airflow.expressions.evaluate import render
from dp_airflow.plan.pipeline_runtime import PipelineRuntime
from dp_airflow.runtime.attempt_fields import attempt_fields
from dp_airflow.schedule.model import Instance

log = logging.getLogger(__name__)


class SnsAlarmNotifier(BaseNotifier):
    """Notifier for one SnsAlarm object acting for ``node_id``."""

    template_fields = ()

    def __init__(
        self,
        *,
        alarm_id: str,
        node_id: str,
        pipeline: PipelineRuntime,
        event: str = "fail",
        aws_conn_id: str | None = "aws_default",
    ) -> None:
        super().__init__()
        self.event = event
        """``fail`` (``onFail``) or ``success`` (``onSuccess``)."""
        self.alarm_id = alarm_id
        self.node_id = node_id
        self.pipeline = pipeline
        self.aws_conn_id = aws_conn_id

    def notify(self, context: Any) -> None:
        overrides = self.pipeline.run_overrides(context)
        instance = self.pipeline.instance_for(self.node_id, context)
        if instance is None:
            return
        exception = context.get("exception")
        if exception is None and self.event == "fail":
            exception = RuntimeError(f"{self.node_id} failed")  # a failure Airflow gave no cause
        extra = attempt_fields(context, ended=True, exception=exception)
        publish_alarm(
            self.pipeline, self.alarm_id, self.node_id, instance, overrides, extra, self.aws_conn_id
        )


def publish_alarm(
    pipeline: PipelineRuntime,
    alarm_id: str,
    node_id: str,
    instance: Instance,
    overrides: Mapping[str, tuple[str, ...]],
    extra: Mapping[str, Any],
    aws_conn_id: str | None = "aws_default",
) -> None:
    """Evaluate an SnsAlarm's fields for ``node_id``'s instance and publish it."""
    scope = pipeline.scope(alarm_id, instance, overrides, extra, node_id=node_id)
    alarm = pipeline.objects[alarm_id]

    def field(name: str) -> str:
        value = render(alarm.value_text(name) or "", scope)
        return value if isinstance(value, str) else ",".join(value)

    topic, subject, message = field("topicArn"), field("subject"), field("message")
    SnsHook(aws_conn_id=aws_conn_id).publish_to_target(  # type: ignore[no-untyped-call]
        target_arn=topic, message=message, subject=subject
    )
    log.info("%s: published %s to %s", alarm_id, subject, topic)

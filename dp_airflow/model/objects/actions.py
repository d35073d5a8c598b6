"""Actions run on success, failure or lateness of the object referring to them."""

from __future__ import annotations

from typing import ClassVar, Literal

from dp_airflow.model.objects.base import Category, ObjectModel, Text


class Action(ObjectModel):
    """What an object does on failure, success or lateness (onFail, onSuccess, onLateAction)."""

    category: ClassVar[Category] = Category.ACTION


class SnsAlarm(Action):
    """Publishes ``subject`` and ``message`` (expressions read ``node.*``) to ``topicArn``."""

    type: Literal["SnsAlarm"] = "SnsAlarm"
    topic_arn: Text
    subject: Text
    message: Text
    role: Text


class Terminate(Action):
    """Cancels the referring object if it has not started within its ``lateAfterTimeout``."""

    type: Literal["Terminate"] = "Terminate"

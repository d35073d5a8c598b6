"""The runtime fields an expression may read: one list for the checker and the evaluator.

``@`` fields are set by the service on components, instances and attempts (the reference's
section 4). The guide's tables also list some without the ``@`` (``errorMessage``,
``hostname``…); both spellings are accepted.
"""

from __future__ import annotations

from collections.abc import Mapping

from dp_airflow.expressions.functions import DATETIME, LIST, OBJECT, STRING

RUNTIME_FIELDS: Mapping[str, str] = {
    "@scheduledStartTime": DATETIME,
    "@scheduledEndTime": DATETIME,
    "@actualStartTime": DATETIME,
    "@actualEndTime": DATETIME,
    "@finishedTime": DATETIME,
    "@id": STRING,
    "@pipelineId": STRING,
    "@sphere": STRING,
    "@version": STRING,
    "@status": STRING,
    "@error": STRING,
    "@waitingOn": LIST,
    "@cascadeFailedOn": OBJECT,
    "@activeInstances": LIST,
    "@healthStatus": STRING,
    "@healthStatusFromInstanceId": STRING,
    "@healthStatusUpdatedTime": DATETIME,
    "@lastDeactivatedTime": DATETIME,
    "@latestRunTime": DATETIME,
    "@latestCompletedRunTime": DATETIME,
    "@nextRunTime": DATETIME,
    "@failureReason": STRING,
    "@firstActivationTime": DATETIME,
    "@componentParent": OBJECT,
    "@instanceParent": OBJECT,
    "@headAttempt": OBJECT,
    "@attemptCount": STRING,
    "@triesLeft": STRING,
    "@resourceId": STRING,
    "@resourceStatus": STRING,
    "@reportProgressTime": DATETIME,
    "@hostname": STRING,
    "@errorMessage": STRING,
}
UNPREFIXED_RUNTIME = frozenset(
    (
        "errorMessage",
        "errorId",
        "errorStackTrace",
        "hostname",
        "reportProgressTime",
        "cancellationReason",
        "emrStepLog",
        "hadoopJobLog",
        "attemptStatus",
        "currentRetryCount",
        "lastRetryTime",
    )
)

NEVER_SET = frozenset(
    {
        "@healthStatus",
        "@healthStatusFromInstanceId",
        "@healthStatusUpdatedTime",
        "@lastDeactivatedTime",
        "@latestRunTime",
        "@latestCompletedRunTime",
        "@nextRunTime",
        "@firstActivationTime",
        "@activeInstances",
        "@waitingOn",
        "@version",
        "@reportProgressTime",
        "reportProgressTime",
        "hadoopJobLog",
        "cancellationReason",
        "lastRetryTime",
        "@resourceId",
        "@resourceStatus",
        "@instanceParent",
        "@headAttempt",
    }
)
"""Runtime fields dp-airflow never fills (pipeline health, Task Runner progress, resource ids):
validation refuses them so that an alarm using one is not lost at run time."""

ENDED_ONLY = frozenset(
    {
        "@actualEndTime",
        "@finishedTime",
        "@error",
        "@errorMessage",
        "errorMessage",
        "errorId",
        "errorStackTrace",
        "@failureReason",
        "@cascadeFailedOn",
        "emrStepLog",
    }
)
"""Fields with a value only once an attempt has ended: readable in actions (``SnsAlarm``,
``Terminate``), usually as ``#{node.…}``, not in the running object's own fields."""

ACTION_TYPES = frozenset({"SnsAlarm", "Terminate"})

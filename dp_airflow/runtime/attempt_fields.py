"""The runtime fields of an attempt, filled from the Airflow task instance.

What ``#{node.@status}``, ``#{node.@actualEndTime}``, ``#{node.hostname}``,
``#{node.errorMessage}`` and their kin read, in an object's own fields while its task runs and
in its alarms when it ends. Fields dp-airflow can never fill are refused by validation
(``runtime_fields.NEVER_SET``), so an alarm never fails on one at run time.
"""

from __future__ import annotations

import re
import socket
import traceback
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from dp_airflow.expressions.runtime_fields import ENDED_ONLY
from dp_airflow.expressions.values import ObjectRef

_STATUS_IN_MESSAGE = re.compile(r": (CASCADE_FAILED|CANCELED|TIMEDOUT): ")
_CASCADE_FROM = re.compile(r"CASCADE_FAILED: its dependenc(?:y|ies) (.+?) failed")
TIMEOUT_EXCEPTIONS = frozenset({"AirflowTaskTimeout", "TimeoutError"})


def status_of(exception: BaseException | None) -> str:
    """Data Pipeline's status name for an attempt that ended with ``exception`` (None: success).

    dp-airflow's operators name the status in their messages (``X: CASCADE_FAILED: …``);
    Airflow's ``execution_timeout`` (``attemptTimeout``) is TIMEDOUT."""
    if exception is None:
        return "FINISHED"
    if type(exception).__name__ in TIMEOUT_EXCEPTIONS:
        return "TIMEDOUT"
    found = _STATUS_IN_MESSAGE.search(str(exception))
    return found.group(1) if found else "FAILED"


def attempt_fields(
    context: Mapping[str, Any],
    *,
    ended: bool = False,
    exception: BaseException | None = None,
) -> dict[str, Any]:
    """Runtime fields of the running (``ended=False``) or ended attempt in ``context``."""
    ti = context.get("ti")
    try_number = int(getattr(ti, "try_number", 1) or 1)
    max_tries = int(getattr(ti, "max_tries", 0) or 0)
    hostname = getattr(ti, "hostname", None) or socket.gethostname()
    out: dict[str, Any] = {
        "@status": status_of(exception) if ended else "RUNNING",
        "@hostname": hostname,
        "hostname": hostname,
        "@attemptCount": str(try_number),
        "currentRetryCount": str(try_number - 1),
        "@triesLeft": str(0 if ended else max(0, max_tries + 1 - try_number)),
    }
    start = getattr(ti, "start_date", None)
    if isinstance(start, datetime):
        out["@actualStartTime"] = _utc(start)
    if ended:
        now = datetime.now(UTC).replace(microsecond=0)
        out["@actualEndTime"] = out["@finishedTime"] = now
        # Every end-of-attempt field has a value in an alarm (empty when it does not apply:
        # no error on success, no EMR log outside EMR), so no alarm is lost on one.
        out.update(dict.fromkeys(ENDED_ONLY - {"@actualEndTime", "@finishedTime"}, ""))
    if exception is not None:
        message = str(exception)
        out.update(
            {
                "errorMessage": message,
                "@errorMessage": message,
                "@error": message,
                "@failureReason": message,
                "errorId": type(exception).__name__,
                "errorStackTrace": "".join(traceback.format_exception(exception)).strip(),
            }
        )
        cascade = _CASCADE_FROM.search(message)
        if cascade:
            out["@cascadeFailedOn"] = _cascade_object(context, cascade.group(1))
    step_log = getattr(context.get("task"), "emr_step_log", None)
    if step_log:
        out["emrStepLog"] = step_log
    return out


def _cascade_object(context: Mapping[str, Any], task_ids: str) -> ObjectRef:
    """The object whose failure cascaded (the first named dependency)."""
    first = task_ids.split(",", maxsplit=1)[0].strip()
    task = context.get("task")
    dag = getattr(task, "dag", None)
    dependency = getattr(dag, "task_dict", {}).get(first) if dag is not None else None
    return ObjectRef(getattr(dependency, "object_id", None) or first)


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(microsecond=0) if moment.tzinfo else moment


STATUS_OF_STATE = {
    "success": "FINISHED",
    "failed": "FAILED",
    "upstream_failed": "WAITING_ON_DEPENDENCIES",
    "skipped": "SKIPPED",
    "running": "RUNNING",
    "queued": "WAITING_FOR_RUNNER",
    "scheduled": "WAITING_FOR_RUNNER",
    "up_for_retry": "WAITING_FOR_RUNNER",
    "up_for_reschedule": "WAITING_ON_DEPENDENCIES",
    "deferred": "RUNNING",
    "removed": "CANCELED",
    "restarting": "WAITING_FOR_RUNNER",
}
"""Airflow task state → Data Pipeline instance status. ``upstream_failed`` is what Data
Pipeline shows for a consumer of a failed object under ``failureAndRerunMode: none``: it waits
on its dependencies."""


def status_of_state(state: str | None, cascade_failed: bool = False) -> str:
    """Data Pipeline's status name of an instance whose task ended (or stands) in ``state``;
    ``cascade_failed``: the task failed because a dependency did (cascade mode)."""
    if state == "failed" and cascade_failed:
        return "CASCADE_FAILED"
    return STATUS_OF_STATE.get(state or "", "WAITING_ON_DEPENDENCIES")


def status_in_run(
    states: Mapping[str, str | None], task_id: str, upstream: Iterable[str], cascading: bool
) -> str:
    """The status of one task's instance among the task ``states`` of its run: a failed
    ``cascading`` task whose upstream failed is CASCADE_FAILED."""
    cascade_failed = cascading and any(
        states.get(up) in ("failed", "upstream_failed") for up in upstream
    )
    return status_of_state(states.get(task_id), cascade_failed)

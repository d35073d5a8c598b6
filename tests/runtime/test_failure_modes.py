"""failureAndRerunMode (cascade against none), Terminate and onLateAction, under real Airflow."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pendulum
import pytest

from tests.conftest import sns_inbox, task_states
from tests.runtime.test_aws import _dag


def _subscribed_queue(aws) -> tuple[str, str]:
    return sns_inbox(aws, "failures", f"inbox-{id(aws)}")


def _received_subjects(aws, queue: str) -> list[str]:
    messages = aws("sqs").receive_message(QueueUrl=queue, MaxNumberOfMessages=10)
    return sorted(json.loads(m["Body"])["Subject"] for m in messages.get("Messages", []))


def _chain(mode: str, topic: str) -> dict:
    """Extract fails; Transform depends on it; Load depends on Transform. Each alarms onFail."""
    activity = {"type": "ShellCommandActivity", "maximumRetries": "0", "onFail": {"ref": "Alarm"}}
    return {
        "objects": [
            {
                "id": "Default",
                "scheduleType": "ondemand",
                "workerGroup": "wg",
                "failureAndRerunMode": mode,
            },
            {"id": "Extract", **activity, "command": "exit 1"},
            {"id": "Transform", **activity, "command": "true", "dependsOn": {"ref": "Extract"}},
            {"id": "Load", **activity, "command": "true", "dependsOn": {"ref": "Transform"}},
            {
                "id": "Alarm",
                "type": "SnsAlarm",
                "topicArn": topic,
                "role": "r",
                "subject": "#{node.@id}",
                "message": "#{node.errorMessage}",
            },
        ]
    }


@pytest.mark.usefixtures("airflow_db")
def test_cascade_fails_the_consumers_and_fires_their_alarms(tmp_path: Path, aws) -> None:
    topic, queue = _subscribed_queue(aws)
    dag = _dag(tmp_path, _chain("cascade", topic))
    run = dag.test(logical_date=pendulum.datetime(2024, 5, 6, tz="UTC"))
    assert run.state == "failed"
    assert task_states(run) == {"Extract": "failed", "Transform": "failed", "Load": "failed"}
    # Data Pipeline runs onFail for cascade-failed objects too.
    assert _received_subjects(aws, queue) == [
        "@Extract_2024-05-06T00:00:00",
        "@Load_2024-05-06T00:00:00",
        "@Transform_2024-05-06T00:00:00",
    ]


@pytest.mark.usefixtures("airflow_db")
def test_without_cascade_consumers_never_run_and_stay_quiet(tmp_path: Path, aws) -> None:
    topic, queue = _subscribed_queue(aws)
    dag = _dag(tmp_path, _chain("none", topic))
    run = dag.test(logical_date=pendulum.datetime(2024, 5, 6, tz="UTC"))
    assert run.state == "failed"
    assert task_states(run) == {
        "Extract": "failed",
        "Transform": "upstream_failed",
        "Load": "upstream_failed",
    }
    assert _received_subjects(aws, queue) == ["@Extract_2024-05-06T00:00:00"]


@pytest.mark.usefixtures("airflow_db")
def test_cascade_still_runs_consumers_of_successful_dependencies(tmp_path: Path, aws) -> None:
    topic, _ = _subscribed_queue(aws)
    definition = _chain("cascade", topic)
    definition["objects"][1]["command"] = "true"
    run = _dag(tmp_path, definition).test(logical_date=pendulum.datetime(2024, 5, 6, tz="UTC"))
    assert run.state == "success"
    assert set(task_states(run).values()) == {"success"}


def _late(tmp_path: Path, action: str, out: Path) -> dict:
    return {
        "objects": [
            {"id": "Default", "scheduleType": "cron", "schedule": {"ref": "Daily"}},
            {
                "id": "Daily",
                "type": "Schedule",
                "period": "1 day",
                "startDateTime": "2024-05-06T00:00:00",
            },
            {
                "id": "Report",
                "type": "ShellCommandActivity",
                "workerGroup": "wg",
                "command": f"echo ran > {out}",
                "lateAfterTimeout": "2 hours",
                "onLateAction": {"ref": action},
            },
            {"id": "Stop", "type": "Terminate"},
            {
                "id": "Alarm",
                "type": "SnsAlarm",
                "topicArn": "arn:aws:sns:us-east-1:123456789012:late",
                "role": "r",
                "subject": "#{node.@id} late",
                "message": "#{node.errorMessage}",
            },
        ]
    }


@pytest.mark.usefixtures("airflow_db")
def test_terminate_cancels_an_object_not_started_within_late_after_timeout(
    tmp_path: Path,
) -> None:
    out = tmp_path / "ran.txt"
    dag = _dag(tmp_path, _late(tmp_path, "Stop", out))
    # The instance started in 2024: far past its two hours, so Terminate cancels it.
    run = dag.test(logical_date=pendulum.datetime(2024, 5, 6, tz="UTC"))
    assert task_states(run) == {"Report": "failed"}
    assert not out.exists()
    assert dag.deadline is None  # Terminate alone needs no deadline alert


@pytest.mark.usefixtures("airflow_db")
def test_a_late_alarm_is_a_deadline_alert_that_publishes_for_the_late_object(
    tmp_path: Path, aws
) -> None:
    sqs = aws("sqs")
    _, queue = sns_inbox(aws, "late", "late-inbox")
    dag = _dag(tmp_path, _late(tmp_path, "Alarm", tmp_path / "ran.txt"))
    (alert,) = dag.deadline
    assert alert.interval == pendulum.duration(hours=2)
    assert alert.callback.path == "dp_airflow.notifiers.late_action.notify_late"
    kwargs = alert.callback.kwargs
    # What the scheduler hands the callback when the deadline passes: the run as JSON.
    context = {
        "dag_run": {
            "run_type": "scheduled",
            "run_after": "2024-05-06T00:00:00Z",
            "data_interval_start": "2024-05-06T00:00:00Z",
            "data_interval_end": "2024-05-07T00:00:00Z",
            "conf": {},
        }
    }
    from dp_airflow.notifiers.late_action import notify_late

    asyncio.run(notify_late(**kwargs, context=context))
    (message,) = sqs.receive_message(QueueUrl=queue)["Messages"]
    body = json.loads(message["Body"])
    assert body["Subject"] == "@Report_2024-05-06T00:00:00 late"
    assert body["Message"].startswith("Report is late")

"""The plan as data: tasks, edges, arguments and the report, without Airflow."""

from __future__ import annotations

import json

from dp_airflow.diagnostics import DiagnosticSink
from dp_airflow.plan.planner import DagSpec, plan_pipeline
from dp_airflow.read.readers import read_text
from dp_airflow.validate.build import typed_objects
from dp_airflow.validate.rules_schedule import pipeline_is_ondemand
from dp_airflow.validate.validation import validate_definition


def _plan(objects: list[dict], parameters: list[dict] | None = None) -> DagSpec:
    document = {"objects": objects, "parameters": parameters or []}
    definition = read_text(json.dumps(document)).definitions[0]
    context = validate_definition(definition, DiagnosticSink())
    return plan_pipeline(
        definition,
        typed_objects(context),
        "/defs/My Pipeline.json",
        "My_Pipeline",
        ondemand=pipeline_is_ondemand(context),
    )


BASE = [{"id": "Default", "scheduleType": "ondemand", "workerGroup": "wg"}]


def test_activity_preconditions_are_checked_after_its_other_dependencies() -> None:
    spec = _plan(
        [
            *BASE,
            {"id": "A", "type": "ShellCommandActivity", "command": "a"},
            {
                "id": "B",
                "type": "ShellCommandActivity",
                "command": "b",
                "dependsOn": {"ref": "A"},
                "precondition": {"ref": "Ready"},
            },
            {"id": "Ready", "type": "ShellCommandPrecondition", "command": "true"},
        ]
    )
    tasks = {t.task_id: t for t in spec.tasks}
    assert tasks["B__Ready"].upstream == ("A",)
    assert tasks["B"].upstream == ("A", "B__Ready")
    assert tasks["B__Ready"].consumer == "B"


def test_ids_names_defaults_and_report() -> None:
    spec = _plan(
        [
            *BASE,
            {
                "id": "Copy it",
                "name": "Copy the data",
                "type": "HiveCopyActivity",
                "input": {"ref": "In"},
                "output": {"ref": "Out"},
            },
            {"id": "In", "type": "S3DataNode", "filePath": "s3://b/in"},
            {"id": "Out", "type": "S3DataNode", "filePath": "s3://b/out"},
            {"id": "Box", "type": "Ec2Resource", "role": "r", "resourceRole": "rr"},
        ],
        [{"id": "myN", "type": "Integer", "default": "4"}, {"id": "*myPw"}],
    )
    assert spec.dag_id == "My_Pipeline"
    (task,) = spec.tasks
    assert (task.task_id, task.display_name, task.kind) == (
        "Copy_it",
        "Copy the data",
        "Unsupported",
    )
    assert (task.retries, task.retry_delay_seconds, task.queue) == (2, 600, "wg")
    assert spec.report == (
        "Copy it (HiveCopyActivity): HiveCopyActivity runs as steps on the EmrCluster named by "
        "runsOn; workerGroup 'wg' names a cluster dp-airflow does not manage; its task fails "
        "saying so",
        "Box (Ec2Resource): no task; its activities run on Airflow workers",
    )
    assert list(spec.params) == ["myN"]  # secrets never become Params
    assert spec.params["myN"].type == "integer"

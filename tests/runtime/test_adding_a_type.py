"""Adding a Data Pipeline type takes its model, its operator and one registry entry.

``EchoActivity`` exists only here: a model class, an operator and a ``TypeEntry`` put into the
registry for the test. Nothing else is changed, and a definition using it is validated, planned,
rendered by the DAG loader, described in docs/mapping.md's words and run.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import pendulum
import pytest

from dp_airflow.model.objects.activities import Activity
from dp_airflow.model.objects.base import Text
from dp_airflow.model.registry import REGISTRY, Role, TypeEntry
from dp_airflow.operators.base import DataPipelineOperator
from dp_airflow.schedule.model import Instance
from tests.conftest import task_states
from tests.runtime.test_aws import _dag


class EchoActivity(Activity):
    """Test only: writes its message, evaluated per run, to a file."""

    type: Literal["EchoActivity"] = "EchoActivity"
    message: Text
    target: Text


class EchoActivityOperator(DataPipelineOperator):
    """Test only: runs an EchoActivity."""

    def __init__(self, *, target: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.target = target

    @classmethod
    def plan_arguments(cls, arguments: Mapping[str, object]) -> dict[str, Any]:
        return {"target": str(arguments.get("target", ""))}

    def run_instance(self, context: Any, instance: Instance) -> None:
        Path(self.target).write_text(self.field_value(self.object_id, "message", instance) or "")


ENTRY = TypeEntry(
    EchoActivity,
    Role.ACTIVITY,
    f"{__name__}.EchoActivityOperator",
    "`EchoActivityOperator`",
    ("message", "target"),
    {"message": "what is written (evaluated)", "target": "the file written"},
)


@pytest.fixture
def echo_type(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(REGISTRY, "EchoActivity", ENTRY)


@pytest.mark.usefixtures("airflow_db", "echo_type")
def test_a_type_added_by_one_entry_is_validated_rendered_and_run(tmp_path: Path) -> None:
    from dp_airflow.model.mapping_doc import becomes, render_markdown

    target = tmp_path / "echo.txt"
    definition = {
        "objects": [
            {"id": "Default", "scheduleType": "ondemand", "workerGroup": "wg"},
            {
                "id": "Say",
                "type": "EchoActivity",
                "message": "hello #{format(@scheduledStartTime,'YYYY')}",
                "target": str(target),
                "maximumRetries": "0",
            },
        ]
    }
    dag = _dag(tmp_path, definition)  # no diagnostics, no stand-in DAG
    assert type(dag.task_dict["Say"]) is EchoActivityOperator
    run = dag.test(logical_date=pendulum.datetime(2024, 5, 6, tz="UTC"))
    assert task_states(run) == {"Say": "success"}
    assert target.read_text() == "hello 2024"
    assert becomes("EchoActivity", EchoActivity.category).startswith("`EchoActivityOperator`")
    assert "| `target` | String |  | yes | the file written |" in render_markdown()


def test_without_its_entry_the_type_is_unknown(tmp_path: Path) -> None:
    from dp_airflow.plan.translation import source_for, validate_source

    path = tmp_path / "pipe.json"
    path.write_text('{"objects": [{"id": "Say", "type": "EchoActivity", "workerGroup": "wg"}]}')
    errors = [d.message for d in validate_source(source_for(path)).diagnostics if d.is_error]
    assert any("unknown object type 'EchoActivity'" in m for m in errors)

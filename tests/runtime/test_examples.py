"""The examples `make run` serves: valid, loaded by the loader, serializable, runnable."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from dp_airflow.validate.validation import validate_file
from tests.conftest import sync_dag_to_db

ROOT = Path(__file__).parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.json"))


def test_there_are_at_least_five_examples() -> None:
    assert len(EXAMPLES) >= 5


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_is_valid(path: Path) -> None:
    result = validate_file(path)
    assert result.valid, [d.render() for d in result.diagnostics]


@pytest.fixture(scope="module")
def bag(tmp_path_factory: pytest.TempPathFactory):
    from airflow.dag_processing.dagbag import DagBag

    dags = tmp_path_factory.mktemp("examples")
    shutil.copy(ROOT / "dags" / "dp_airflow_loader.py", dags)
    for path in EXAMPLES:
        shutil.copy(path, dags)
    return DagBag(dag_folder=str(dags))


def test_every_example_becomes_a_dag_that_serializes(bag) -> None:
    from airflow.serialization.serialized_objects import DagSerialization

    assert bag.import_errors == {}
    assert sorted(bag.dag_ids) == sorted(p.stem for p in EXAMPLES)
    for dag in bag.dags.values():
        assert DagSerialization.from_dict(DagSerialization.to_dict(dag)).dag_id == dag.dag_id
        assert dag.fileloc.endswith("dp_airflow_loader.py")


@pytest.mark.usefixtures("airflow_db")
def test_the_ondemand_example_runs(bag) -> None:
    dag = sync_dag_to_db(bag.dags["ondemand-report"])
    assert dag.max_active_runs == 2
    run = dag.test(run_conf={"myCustomer": "globex"})
    assert run.state == "success"

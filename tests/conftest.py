"""Test set-up: a throwaway Airflow home, made before anything imports Airflow.

Airflow tests ask for the ``airflow_db`` fixture (a fresh SQLite metadata DB, about 2 s once per
session); everything else runs without a database.
"""

from __future__ import annotations

import os
import pathlib
import tempfile
from collections.abc import Iterator
from typing import Any

import pytest

_HOME = pathlib.Path(tempfile.mkdtemp(prefix="dp-airflow-home-"))
os.environ["AIRFLOW_HOME"] = str(_HOME)
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = os.environ.get(
    "AIRFLOW_TEST_SQL_ALCHEMY_CONN", f"sqlite:///{_HOME}/airflow.db"
)
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(_HOME / "dags")
(_HOME / "dags").mkdir(exist_ok=True)


@pytest.fixture(scope="session")
def airflow_db() -> Iterator[None]:
    from airflow.utils import db

    db.resetdb()
    yield


def sync_dag_to_db(dag: Any, bundle_name: str = "dags-folder") -> Any:
    """Write a DAG built in a test to the metadata DB, as ``dag.test()`` needs in Airflow 3."""
    from airflow.dag_processing.bundles.manager import DagBundlesManager
    from airflow.dag_processing.dagbag import DagBag, sync_bag_to_db

    DagBundlesManager().sync_bundles_to_db()
    bag = DagBag(dag_folder=os.devnull, collect_dags=False)
    bag.bag_dag(dag)
    sync_bag_to_db(bag, bundle_name, None)
    return dag

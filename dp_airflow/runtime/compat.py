"""Airflow names whose home moved between the supported releases (3.0 to 3.3).

Airflow 3.1 moved the task exceptions and ``BaseHook`` into the Task SDK; 3.0 keeps them in
``airflow.exceptions`` and ``airflow.hooks.base``. Everything of dp-airflow imports them from here.
"""

from __future__ import annotations

from typing import Any

try:
    from airflow.sdk import BaseHook
    from airflow.sdk.exceptions import (
        AirflowException,
        AirflowFailException,
        AirflowNotFoundException,
        AirflowSkipException,
    )
except ImportError:  # Airflow 3.0
    from airflow.exceptions import (  # type: ignore[no-redef,attr-defined]
        AirflowException,
        AirflowFailException,
        AirflowNotFoundException,
        AirflowSkipException,
    )
    from airflow.hooks.base import BaseHook  # type: ignore[no-redef,attr-defined]


def check_cycle(dag: Any) -> None:
    """Raise when the DAG has a cycle (``DAG.check_cycle`` since 3.1; a function in 3.0)."""
    method = getattr(dag, "check_cycle", None)
    if method is not None:
        method()
        return
    from airflow.utils.dag_cycle_tester import check_cycle as check

    check(dag)


__all__ = [
    "AirflowException",
    "AirflowFailException",
    "AirflowNotFoundException",
    "AirflowSkipException",
    "BaseHook",
    "check_cycle",
]

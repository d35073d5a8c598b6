"""A DAG as constructor calls: what ``render`` instantiates and ``eject`` writes out as Python.

One description with two outputs keeps the ejected file and the loader's DAG the same by
construction: every argument of every operator, notifier and deadline is decided once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airflow.sdk import DAG


class _Pipeline:
    """Stands for the pipeline's runtime in a call's arguments (``pipeline=PIPELINE``)."""

    def __repr__(self) -> str:
        return "PIPELINE"

    def __reduce__(self) -> str:
        return "PIPELINE"  # the module's one instance, also when read from the parse cache


PIPELINE = _Pipeline()


@dataclass(frozen=True)
class Call:
    """``target(*args, **kwargs)``, its arguments plain values or other calls."""

    target: Callable[..., Any]
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    args: tuple[Any, ...] = ()


@dataclass(frozen=True)
class Attribute:
    """``owner.name`` (a constant such as ``DeadlineReference.DAGRUN_LOGICAL_DATE``)."""

    owner: type
    name: str


@dataclass(frozen=True)
class TaskCall:
    """One task: its operator call, upstream task ids and the setup it tears down."""

    task_id: str
    call: Call
    upstream: tuple[str, ...] = ()
    teardown_of: str | None = None
    """The setup task this task tears down (an EMR cluster's termination)."""


@dataclass(frozen=True)
class DagCall:
    """A whole DAG: the ``DAG`` arguments and its tasks in plan order."""

    dag_id: str
    kwargs: Mapping[str, Any]
    tasks: tuple[TaskCall, ...]


_LEAVES = frozenset({str, int, float, bool, type(None), timedelta, datetime})
"""Values that stand for themselves: most arguments, passed on without a walk."""


def realize(value: Any, pipeline: object) -> Any:
    """The object a description stands for, ``PIPELINE`` replaced by ``pipeline``."""
    if type(value) in _LEAVES:
        return value
    if isinstance(value, Call):
        args = [realize(a, pipeline) for a in value.args]
        kwargs = {
            k: v if type(v) in _LEAVES else realize(v, pipeline) for k, v in value.kwargs.items()
        }
        return value.target(*args, **kwargs)
    if isinstance(value, Attribute):
        return getattr(value.owner, value.name)
    if value is PIPELINE:
        return pipeline
    if isinstance(value, list):
        return [realize(v, pipeline) for v in value]
    if isinstance(value, dict):
        return {k: realize(v, pipeline) for k, v in value.items()}
    return value


def build_dag(described: DagCall, pipeline: object) -> DAG:
    """The Airflow DAG a description stands for, its operators holding ``pipeline``.

    Here rather than beside ``describe_dag``, so that the loader building DAGs from the parse
    cache imports only what the described calls name: a DAG processor's parse runs in a fresh
    process, where every import counts.
    """
    from airflow.sdk import DAG

    # Not auto-registered: the loader puts each DAG in its module's namespace once its file is
    # set; a DAG also auto-registered under its earlier file would be bagged twice.
    kwargs = realize(dict(described.kwargs), pipeline)
    with DAG(described.dag_id, auto_register=False, **kwargs) as dag:
        tasks = {t.task_id: realize(t.call, pipeline) for t in described.tasks}
        for task in described.tasks:
            for upstream in task.upstream:
                tasks[upstream] >> tasks[task.task_id]
        for task in described.tasks:
            if task.teardown_of is not None:
                tasks[task.task_id].as_teardown(setups=tasks[task.teardown_of])
    return dag

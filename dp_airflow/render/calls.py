"""A DAG as constructor calls: what ``render`` instantiates and ``eject`` writes out as Python.

One description with two outputs keeps the ejected file and the loader's DAG the same by
construction: every argument of every operator, notifier and deadline is decided once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any


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

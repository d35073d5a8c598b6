"""A CPU-time budget for translating one definition, so one input cannot stall the loader.

Airflow abandons a whole DAG file (and makes every DAG in it stale) when parsing it takes longer
than ``dagbag_import_timeout``, using SIGALRM. The budget here uses the other interval timer,
``ITIMER_PROF`` (process CPU time, signal SIGPROF), so it never disturbs Airflow's own alarm. It
only works in the main thread, where Airflow parses DAG files; elsewhere it does not apply.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from dp_airflow.errors import DpAirflowError


class BudgetExceeded(DpAirflowError):
    """Translating one definition used up its time budget."""


@contextmanager
def cpu_budget(seconds: float, what: str) -> Iterator[None]:
    """Raise BudgetExceeded inside the block once it has used ``seconds`` of CPU time."""
    if seconds <= 0 or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expired(signum: int, frame: FrameType | None) -> None:
        raise BudgetExceeded(
            f"{what}: translation stopped after {seconds:g} s of CPU time "
            "(AIRFLOW__DP_AIRFLOW__DEFINITION_TIME_BUDGET); the definition is treated as broken "
            "so that the other pipelines still load"
        )

    previous_handler = signal.signal(signal.SIGPROF, expired)
    previous_timer = signal.setitimer(signal.ITIMER_PROF, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous_handler)
        if previous_timer[0] > 0:
            signal.setitimer(signal.ITIMER_PROF, *previous_timer)

"""dp-airflow's settings, read once from the environment (Airflow's ``AIRFLOW__SECTION__KEY``
convention for the ``[dp_airflow]`` section), so the front half needs no Airflow import."""

from __future__ import annotations

import os


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(f"AIRFLOW__DP_AIRFLOW__{name}")
    if value is None:
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


CATCHUP = _flag("CATCHUP", default=False)
"""Run every missed instance when a pipeline's start lies in the past (Data Pipeline's
backfill). Off by default: migrated pipelines usually start years back, and Data Pipeline itself
refuses to activate a pipeline whose start is more than a day in the past."""


def _number(name: str, default: float) -> float:
    value = os.environ.get(f"AIRFLOW__DP_AIRFLOW__{name}")
    try:
        return float(value) if value is not None else default
    except ValueError:
        return default


EMR_POLL_SECONDS = _number("EMR_POLL_SECONDS", 30.0)
"""How often EMR cluster and step states are checked while a task waits for them."""


DEFINITION_TIME_BUDGET = _number("DEFINITION_TIME_BUDGET", 10.0)
"""CPU seconds the loader may spend translating one definition; past it the definition is shown
as broken (and, being cached as broken, not tried again until it changes) while the others
load. 0 turns the budget off."""

LOADER_TIME_SHARE = _number("LOADER_TIME_SHARE", 0.6)
"""The share of Airflow's ``dagbag_import_timeout`` the loader spends translating uncached
definitions in one parse; the rest are shown as waiting and translated in a later parse, so the
loader file itself never times out (which would make every pipeline's DAG stale)."""

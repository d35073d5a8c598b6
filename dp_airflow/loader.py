"""The dags-folder loader: every Data Pipeline definition under the loader file becomes a DAG.

Isolation is the point: a definition that cannot be translated (validation errors, an exception
in dp-airflow, a time-out) becomes a stand-in DAG with the same id, no schedule, the tag
``dp-airflow:invalid``, its diagnostics in the description and docs, and one task that fails
with them. It never raises out of the loader, because Airflow marks every DAG of a file with an
import error as stale: one typo would take every pipeline down. Import errors of the loader file
are left to failures of the loader itself.

On a worker, where Airflow parses the file again before each task, only the definition of the
DAG being run is read.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from airflow.sdk import DAG, get_parsing_context

from dp_airflow import settings
from dp_airflow.budget import BudgetExceeded, cpu_budget
from dp_airflow.discovery import Discovery, PipelineSource, discover
from dp_airflow.errors import UnreadableFileError
from dp_airflow.plan.translation import Broken, translate_source

if TYPE_CHECKING:
    from collections.abc import Iterable

    from dp_airflow.plan.pipeline_runtime import PipelineRuntime
    from dp_airflow.render.calls import DagCall

Described = list[tuple["DagCall", "PipelineRuntime"]] | Broken
"""What the parse cache keeps for a source: each pipeline's DAG as constructor calls, with its
runtime (left pickled until a task uses it), or why the source cannot become DAGs."""

log = logging.getLogger(__name__)


def load_pipelines(
    namespace: dict[str, Any], loader_file: str, catchup: bool | None = None
) -> list[DAG]:
    """Build a DAG per pipeline under ``loader_file``'s folder and put each in ``namespace``."""
    loader = Path(loader_file).resolve()
    wanted = get_parsing_context().dag_id
    found = discover(loader.parent, listed_files(loader.parent), wanted=wanted)
    for path in found.skipped:
        log.debug("dp-airflow: %s is not a Data Pipeline definition; skipped", path)
    from dp_airflow.parse_cache import collection_paused

    with collection_paused():  # thousands of short-lived objects, no cycles worth a full GC
        dags = list(build_dags(found, settings.CATCHUP if catchup is None else catchup, wanted))
    for dag in dags:
        # Airflow records the file that called DAG() (our render module); workers re-parse the
        # DAG's file before each task, so it must be this loader file.
        dag.fileloc = str(loader)
        namespace[dag.dag_id] = dag
    return dags


def listed_files(root: Path) -> list[Path]:
    """Every file under ``root`` that Airflow's ``.airflowignore`` rules keep, as Airflow does."""
    from airflow.configuration import conf

    try:
        from airflow._shared.module_loading import find_path_from_directory
    except ImportError:  # Airflow before 3.2
        from airflow.utils.file import find_path_from_directory  # type: ignore[no-redef]

    syntax = conf.get("core", "dag_ignore_file_syntax", fallback="glob")
    return [Path(p) for p in find_path_from_directory(root, ".airflowignore", syntax)]


def build_dags(found: Discovery, catchup: bool, wanted: str | None = None) -> Iterator[DAG]:
    """One DAG per pipeline (or its stand-in when broken); never raises for bad input."""
    # Every definition is translated (or read from the cache) before any DAG is built: with
    # the two interleaved, a warm parse took a sixth longer, each phase evicting the other's
    # code and data from the processor's caches.
    for source, outcome in list(_outcomes(found, catchup, wanted)):
        yield from _dags_of(source, outcome)


def _outcomes(
    found: Discovery, catchup: bool, wanted: str | None
) -> Iterator[tuple[PipelineSource, Described]]:
    from dp_airflow.parse_cache import cached_translation

    deadline = time.monotonic() + _loader_seconds()
    variant = f"catchup={catchup}"
    for dag_id, sources in found.by_dag_id().items():
        if wanted is not None and not any(s.may_hold(wanted) for s in sources):
            continue
        if len(sources) > 1:
            yield sources[0], Broken((_clash(dag_id, sources),))
            continue
        source = sources[0]
        remaining = deadline - time.monotonic()
        if remaining > 1:
            budget = min(settings.DEFINITION_TIME_BUDGET or remaining, remaining)
            translate = functools.partial(_translate, budget=budget, catchup=catchup)
            outcome = cached_translation(source, translate, variant, found.contents)
        else:
            outcome = cached_translation(source, None, variant, found.contents) or Broken(
                (
                    f"{source.definition}: waiting: not translated in this parse, which other "
                    "definitions used up; it is translated in the next one",
                ),
                cacheable=False,
            )
        assert outcome is not None
        yield source, outcome


def _loader_seconds() -> float:
    from airflow.configuration import conf

    timeout = conf.getfloat("core", "dagbag_import_timeout", fallback=30.0)
    return timeout * settings.LOADER_TIME_SHARE if timeout > 0 else float("inf")


def _translate(source: PipelineSource, budget: float, catchup: bool) -> Described:
    # Imported here: the warm path (every definition in the cache) needs neither.
    from dp_airflow.migration_report import documented_outcome
    from dp_airflow.render.dag import describe_dag

    try:
        with cpu_budget(budget, str(source.definition)):
            outcome = documented_outcome(source)
            if isinstance(outcome, Broken):
                return outcome
            return [(describe_dag(spec, runtime, catchup), runtime) for spec, runtime in outcome]
    except BudgetExceeded as exc:
        return Broken((f"{source.definition}: error: {exc}",))
    except UnreadableFileError as exc:
        return Broken((f"{exc}",), cacheable=False)
    except Exception as exc:  # a dp-airflow bug must not hide the other definitions
        log.exception("dp-airflow: internal error translating %s", source.definition)
        return Broken(
            (
                f"{source.definition}: error: internal error in dp-airflow "
                f"({type(exc).__name__}: {exc}); please report it",
            ),
            cacheable=False,
        )


def _dags_of(source: PipelineSource, outcome: Described) -> Iterator[DAG]:
    from dp_airflow.render.calls import build_dag
    from dp_airflow.runtime.compat import check_cycle

    if isinstance(outcome, Broken):
        yield _stand_in(source.dag_id, source, list(outcome.diagnostics))
        return
    seen: set[str] = set()
    for described, runtime in outcome:
        if described.dag_id in seen:
            continue
        seen.add(described.dag_id)
        try:
            dag = build_dag(described, runtime)
            # What DagBag checks before bagging: a failure there would be an import error of
            # the loader file, so it is checked here, per pipeline.
            dag.validate()  # type: ignore[no-untyped-call]
            check_cycle(dag)
        except Exception as exc:
            log.exception("dp-airflow: cannot build the DAG of %s", source.definition)
            message = (
                f"{source.definition}: error: cannot build the DAG: {type(exc).__name__}: {exc}"
            )
            yield _stand_in(described.dag_id, source, [message])
            continue
        yield dag


def _clash(dag_id: str, sources: Iterable[PipelineSource]) -> str:
    files = ", ".join(str(s.definition) for s in sources)
    return (
        f"{dag_id}: error: these files all give the DAG id {dag_id!r}, so none of them is "
        f"loaded: {files}; rename or remove all but one"
    )


def _stand_in(dag_id: str, source: PipelineSource, diagnostics: list[str]) -> DAG:
    from dp_airflow.render.dag import render_invalid_dag

    return render_invalid_dag(dag_id, str(source.definition), diagnostics)


def file_dags(path: Path, catchup: bool = False) -> list[DAG]:
    """The DAGs of one definition file (its companion files read beside it), for tools and
    tests; raises DefinitionError with every error instead of building a stand-in."""
    from dp_airflow.plan.translation import source_for
    from dp_airflow.render.dag import render_dag

    return [
        render_dag(spec, runtime, catchup) for spec, runtime in translate_source(source_for(path))
    ]

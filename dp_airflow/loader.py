"""The dags-folder loader: every ``*.json`` definition beside the loader file becomes a DAG.

A broken definition never hides the others: each good definition becomes its DAG, and the broken
ones are reported together through one reporting DAG whose validation fails with their
diagnostics (file, line, object, field), which Airflow records as the loader file's import error
while still loading every other DAG of the file. On a worker, where Airflow parses the file again
before each task, only the definition of the DAG being run is read.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from airflow.sdk import DAG, get_parsing_context

from dp_airflow import settings
from dp_airflow.errors import DpAirflowError
from dp_airflow.translate.plan import dag_id_for

if TYPE_CHECKING:
    from dp_airflow.runtime.pipeline_runtime import PipelineRuntime
    from dp_airflow.translate.plan import DagSpec

REPORT_DAG_ID = "dp_airflow_definition_errors"


class DefinitionImportError(DpAirflowError):
    """One or more definitions in the dags folder cannot become DAGs."""


class _DefinitionErrors(DAG):
    """Carries the broken definitions' diagnostics into Airflow's import errors."""

    message: str = ""

    def validate(self) -> None:
        raise DefinitionImportError(self.message)


def load_pipelines(
    namespace: dict[str, Any], loader_file: str, catchup: bool | None = None
) -> list[DAG]:
    """Build a DAG per definition beside ``loader_file`` and put each in ``namespace``."""
    folder = Path(loader_file).resolve().parent
    wanted = get_parsing_context().dag_id
    dags: list[DAG] = []
    broken: list[str] = []
    for path in sorted(folder.glob("*.json")):
        if wanted is not None and not _may_hold(path, wanted):
            continue
        try:
            dags.extend(build_dags(path, settings.CATCHUP if catchup is None else catchup))
        except DpAirflowError as exc:
            broken.append(str(exc))
        except Exception as exc:  # a dp-airflow bug must not hide the other definitions
            broken.append(
                f"{path}: internal error in dp-airflow ({type(exc).__name__}: {exc}); "
                "please report it"
            )
    for dag in dags:
        # Airflow records the file that called DAG() (our render module); workers re-parse the
        # DAG's file before each task, so it must be this loader file.
        dag.fileloc = str(Path(loader_file).resolve())
        namespace[dag.dag_id] = dag
    if broken and wanted is None:
        report = _DefinitionErrors(dag_id=REPORT_DAG_ID, schedule=None)
        report.message = f"{len(broken)} definition file(s) could not be loaded:\n\n" + (
            "\n\n".join(broken)
        )
        namespace[REPORT_DAG_ID] = report
    return dags


def _may_hold(path: Path, dag_id: str) -> bool:
    base = dag_id_for(path)
    return dag_id == base or dag_id.startswith(base + "__")


def build_dags(path: Path, catchup: bool) -> list[DAG]:
    """The DAGs of one definition file; raises DpAirflowError with every error found."""
    from dp_airflow.parse_cache import cached_translation
    from dp_airflow.translate.render import render_dag

    translation = cached_translation(path, translate_file)
    return [render_dag(spec, runtime, catchup) for spec, runtime in translation]


def pipeline_runtimes(path: Path) -> dict[str, PipelineRuntime]:
    """DAG id → runtime for each pipeline of a definition file (for callbacks outside tasks)."""
    from dp_airflow.parse_cache import cached_translation

    return {spec.dag_id: runtime for spec, runtime in cached_translation(path, translate_file)}


def translate_file(path: Path) -> list[tuple[DagSpec, PipelineRuntime]]:
    """Plan and runtime of each pipeline in a definition file; raises with every error found."""
    from dp_airflow.definition.validate import validate_file
    from dp_airflow.runtime.pipeline_runtime import PipelineRuntime
    from dp_airflow.schedule.pipeline import ScheduleError
    from dp_airflow.translate.plan import plan_pipeline

    result = validate_file(path, build_models=False)
    errors = [d for d in result.diagnostics if d.is_error]
    if errors or not result.definitions:
        lines = [d.render() for d in errors] or [f"{path}: no pipeline objects"]
        raise DefinitionImportError("\n".join(lines))
    out = []
    for definition, context in zip(result.definitions, result.contexts, strict=True):
        parameters, values = definition.parameters_by_id(), definition.value_texts()
        try:
            runtime = PipelineRuntime.build(
                context.resolved,
                parameters,
                values,
                pipeline_id=dag_id_for(path, definition.pipeline_name),
            )
        except ScheduleError as exc:
            raise DefinitionImportError(f"{path}: {exc}") from None
        out.append((plan_pipeline(definition, context.resolved, str(path)), runtime))
    return out

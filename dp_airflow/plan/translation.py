"""A pipeline source → the plan and runtime of each pipeline in it, or why it cannot be one.

No Airflow here: the dags-folder loader, ``dp-airflow run`` and the late-alarm callback all
translate through this module, and the parse cache stores what it returns.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from dp_airflow.diagnostics import Diagnostic, Severity
from dp_airflow.discovery import PipelineSource, pipeline_dag_id
from dp_airflow.errors import DefinitionError

if TYPE_CHECKING:
    from dp_airflow.plan.pipeline_runtime import PipelineRuntime
    from dp_airflow.plan.planner import DagSpec
    from dp_airflow.read.inputs import PipelineInputs
    from dp_airflow.validate.validation import ValidationResult

Translation = list[tuple["DagSpec", "PipelineRuntime"]]


@dataclass(frozen=True)
class Broken:
    """Why a definition cannot become a DAG: its diagnostics as rendered text, errors first."""

    diagnostics: tuple[str, ...]
    cacheable: bool = True
    """False for failures that may pass by themselves (an unreadable file, an internal error)."""


Outcome = Translation | Broken


def source_inputs(source: PipelineSource) -> PipelineInputs:
    """The parameters and values files a source reads beside its definition."""
    from dp_airflow.read.inputs import PipelineInputs

    values = (source.values_file,) if source.values_file is not None else ()
    return PipelineInputs(source.parameters_file, values)


def source_for(definition: str | Path, dag_id: str | None = None) -> PipelineSource:
    """The source of a definition named by path, its companion files found beside it;
    ``dag_id`` is the source's own DAG id when known (the dags folder's root decides it)."""
    from dp_airflow.discovery import FOLDER_DEFINITION, FOLDER_RECORD, dag_id_for
    from dp_airflow.read.inputs import PipelineInputs

    inputs = PipelineInputs.beside(definition)
    values = inputs.values_files[0] if inputs.values_files else None
    record = Path(definition).with_name(FOLDER_RECORD)
    in_folder = Path(definition).name == FOLDER_DEFINITION and record.is_file()
    return PipelineSource(
        dag_id or dag_id_for(definition),
        Path(definition),
        inputs.parameters_file,
        values,
        record if in_folder else None,
    )


def translate_source(source: PipelineSource, inputs: PipelineInputs | None = None) -> Translation:
    """Plan and runtime of each pipeline of ``source``; raises DefinitionError with every error.

    ``inputs`` replaces the source's own parameters and values files (the CLI's flags).
    """
    return translate_validated(source.dag_id, validate_source(source, inputs))


def validate_source(
    source: PipelineSource, inputs: PipelineInputs | None = None
) -> ValidationResult:
    """``source`` read with its companion files (or ``inputs``) and validated, no typed model."""
    from dp_airflow.read.inputs import read_pipeline, with_record_tags
    from dp_airflow.validate.validation import validate_loaded

    loaded = read_pipeline(source.definition, inputs or source_inputs(source))
    if source.record_file is not None:
        with_record_tags(loaded, source.record_file)
    return validate_loaded(loaded, build_models=False)


def translate_validated(source_dag_id: str, result: ValidationResult) -> Translation:
    """Plan and runtime of each pipeline of a validated file, whose DAG id is
    ``source_dag_id``; raises DefinitionError with every error."""
    from dp_airflow.plan.pipeline_runtime import PipelineRuntime
    from dp_airflow.plan.planner import plan_pipeline
    from dp_airflow.schedule.pipeline import ScheduleError
    from dp_airflow.validate.build import typed_objects

    errors = [d for d in result.diagnostics if d.is_error]
    if errors or not result.definitions:
        raise DefinitionError(errors or [_error(result.file, "no pipeline objects")])
    out: Translation = []
    for definition, context in zip(result.definitions, result.contexts, strict=True):
        dag_id = pipeline_dag_id(source_dag_id, definition.pipeline_name)
        try:
            runtime = PipelineRuntime.build(
                context.resolved,
                definition.parameters_by_id(),
                definition.own_value_texts(),
                dag_id,
                supplied=definition.supplied_value_texts(),
            )
        except ScheduleError as exc:
            raise DefinitionError([_error(result.file, str(exc))]) from None
        spec = plan_pipeline(
            definition,
            typed_objects(context),
            result.file,
            dag_id,
            ondemand=runtime.schedule.ondemand,
            source_dag_id=source_dag_id,
        )
        out.append((spec, runtime))
    return out


def _error(file: str, message: str) -> Diagnostic:
    return Diagnostic(Severity.ERROR, "untranslatable", message, file)


def broken_from(error: DefinitionError) -> Broken:
    """The stand-in outcome of a definition with errors."""
    return Broken(tuple(d.render() for d in error.diagnostics))


def outcome_of(source: PipelineSource) -> Outcome:
    """The translation of ``source``, or its diagnostics when the definition is bad."""
    try:
        return translate_source(source)
    except DefinitionError as exc:
        return broken_from(exc)

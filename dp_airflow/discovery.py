"""Which files in a dags folder are pipelines, and under which DAG ids (no Airflow here).

The layouts, as users keep their definitions:

- a definition file ``<stem>.json`` (or a CloudFormation template ``.yaml``, ``.yml``,
  ``.template``), DAG id ``<stem>``; ``<stem>.parameters.json`` and ``<stem>.values.json`` beside
  it are its ``--parameter-objects`` and ``--parameter-values-uri`` files;
- a pipeline folder, as AWS's samples are laid out: a folder holding ``definition.json``, with
  ``parameters.json`` and ``values.json`` beside it; DAG id = the folder's name, and nothing else
  in the folder is read as a pipeline of its own.

A file that is not a Data Pipeline definition at all (no ``objects``, ``pipelineObjects`` or
``AWS::DataPipeline::Pipeline`` in it) is skipped quietly. The caller lists the files (the
loader does it with Airflow's ``.airflowignore`` rules), so this module stays independent of how
it is invoked.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

DEFINITION_SUFFIXES = (".json", ".yaml", ".yml", ".template")
FOLDER_DEFINITION = "definition.json"
FOLDER_PARAMETERS = "parameters.json"
FOLDER_VALUES = "values.json"
FOLDER_RECORD = "pipeline.json"
"""What ``dp-airflow import`` records about the pipeline (not read by the loader)."""
COMPANION_SUFFIXES = (".parameters.json", ".values.json")
_MARKER = re.compile(
    rb"""(["']?(?:objects|pipelineObjects)["']?\s*:)|AWS::DataPipeline::Pipeline"""
)
_DAG_ID = re.compile(r"[^A-Za-z0-9_.-]+")


def dag_id_for(path: str | Path, pipeline_name: str | None = None) -> str:
    """The DAG id of a definition file: its stem (or its pipeline folder's name), plus the
    CloudFormation resource's name when a template holds several pipelines."""
    path = Path(path)
    stem = path.parent.name if path.name == FOLDER_DEFINITION and path.parent.name else path.stem
    return safe_dag_id(stem + (f"__{pipeline_name}" if pipeline_name else ""))


def safe_dag_id(text: str) -> str:
    """A text made into a valid DAG id (runs of other characters become ``_``)."""
    return _DAG_ID.sub("_", text).strip("_") or "pipeline"


def pipeline_dag_id(source_dag_id: str, pipeline_name: str | None) -> str:
    """The DAG id of one pipeline of a source: a named pipeline of a multi-pipeline file gets
    its name appended."""
    return safe_dag_id(f"{source_dag_id}__{pipeline_name}") if pipeline_name else source_dag_id


@dataclass(frozen=True)
class PipelineSource:
    """One pipeline's files: the definition and, when present, its parameters and values."""

    dag_id: str
    definition: Path
    parameters_file: Path | None = None
    values_file: Path | None = None
    record_file: Path | None = None
    """A pipeline folder's ``pipeline.json`` (``dp-airflow import``'s record): its tags."""

    @property
    def files(self) -> tuple[Path, ...]:
        """Every file the pipeline is read from (what the parse cache keys on)."""
        candidates = (self.definition, self.parameters_file, self.values_file, self.record_file)
        return tuple(p for p in candidates if p is not None)

    def may_hold(self, dag_id: str) -> bool:
        """Whether this source can yield ``dag_id`` (a template's pipelines add ``__<name>``)."""
        return dag_id == self.dag_id or dag_id.startswith(self.dag_id + "__")


@dataclass
class Discovery:
    """What a dags folder holds: the pipeline sources, and the files skipped with why."""

    sources: list[PipelineSource] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)
    """Files that are not Data Pipeline definitions (debug-logged by the loader)."""
    contents: dict[Path, bytes] = field(default_factory=dict)
    """The definition files read to tell them from other files, so the parse cache's key
    does not read them again."""

    def by_dag_id(self) -> dict[str, list[PipelineSource]]:
        out: dict[str, list[PipelineSource]] = {}
        for source in self.sources:
            out.setdefault(source.dag_id, []).append(source)
        return out


def _hidden(path: str, root: str) -> bool:
    # Strings, not Path.relative_to: a worker lists the whole folder before every task.
    relative = path[len(root) :] if path.startswith(root) else path
    return relative.startswith(".") or f"{os.sep}." in relative


def discover(root: Path, files: Iterable[Path], wanted: str | None = None) -> Discovery:
    """The pipelines among ``files`` (paths under ``root``), in a stable order.

    With ``wanted`` (a worker running one DAG), only the files that may give that DAG id are
    read to tell definitions from other files; the others are left out. Hidden files and
    folders (a name starting with ``.``: editors' and ``dp-airflow import``'s work in progress)
    are not pipelines.
    """
    prefix = os.path.join(root, "")
    listed = sorted({Path(f) for f in map(str, files) if not _hidden(f, prefix)})
    present = set(listed)
    folders = sorted(
        {p.parent for p in listed if p.name == FOLDER_DEFINITION and p.parent != root},
        key=lambda d: len(d.parts),
    )
    pipeline_folders: list[Path] = []
    for folder in folders:
        if not any(folder.is_relative_to(outer) for outer in pipeline_folders):
            pipeline_folders.append(folder)
    found = Discovery()
    for folder in pipeline_folders:
        source = PipelineSource(
            dag_id_for(folder / FOLDER_DEFINITION),
            folder / FOLDER_DEFINITION,
            _if_present(folder / FOLDER_PARAMETERS, present),
            _if_present(folder / FOLDER_VALUES, present),
            _if_present(folder / FOLDER_RECORD, present),
        )
        if wanted is None or source.may_hold(wanted):
            found.sources.append(source)
    for path in listed:
        if not path.name.lower().endswith(DEFINITION_SUFFIXES):
            continue
        if any(path.is_relative_to(folder) for folder in pipeline_folders):
            continue
        if path.name.lower().endswith(COMPANION_SUFFIXES):
            continue
        dag_id = safe_dag_id(path.name[: -len(path.suffix)])
        if wanted is not None and not PipelineSource(dag_id, path).may_hold(wanted):
            continue
        parameters, values = companions_beside(path)
        source = PipelineSource(
            dag_id, path, _if_present(parameters, present), _if_present(values, present)
        )
        try:
            data = path.read_bytes()
        except OSError:  # reported when translated, rather than silently skipped
            found.sources.append(source)
            continue
        if _MARKER.search(data) is None:
            found.skipped.append(path)
            continue
        found.contents[path] = data
        found.sources.append(source)
    found.sources.sort(key=lambda s: (s.dag_id, str(s.definition)))
    return found


def companions_beside(definition: Path) -> tuple[Path, Path]:
    """Where the parameters and values files of a ``<stem>.json`` definition would be."""
    stem = definition.name[: -len(definition.suffix)] if definition.suffix else definition.name
    parameters, values = COMPANION_SUFFIXES
    return definition.with_name(stem + parameters), definition.with_name(stem + values)


def _if_present(path: Path, present: set[Path]) -> Path | None:
    return path if path in present else None

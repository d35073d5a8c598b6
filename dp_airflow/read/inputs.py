"""Parameters and values from beside the definition, as ``aws datapipeline`` takes them.

``put-pipeline-definition --parameter-objects FILE`` replaces the definition's ``parameters``;
``--parameter-values-uri FILE`` (``{"values": {...}}``) and ``--parameter-values ID=VALUE …``
supply values, a repeated id making an array. The files beside a definition play the same
roles: ``parameters.json`` and ``values.json`` in a pipeline folder, ``<stem>.parameters.json``
and ``<stem>.values.json`` beside ``<stem>.json``.

Precedence of values, highest first: the command line (or, for a DAG run, the trigger form),
values files, Airflow Variables (at run time only), the definition's ``values``, each
parameter's ``default``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from dp_airflow.discovery import (
    FOLDER_DEFINITION,
    FOLDER_PARAMETERS,
    FOLDER_VALUES,
    companions_beside,
)
from dp_airflow.errors import DpAirflowError
from dp_airflow.read.raw import RawField, RawParameter, RawValue, SuppliedValues
from dp_airflow.read.readers import LoadedFile, read_file

INLINE_ORIGIN = "--parameter-values"
_COMPANION_NOISE = frozenset({"no-objects", "missing-objects", "unknown-format"})
"""What the definition reader says of a file without objects: a parameters or values file
holds none by design (a wrong shape is reported as ``companion-format`` instead)."""


class InputError(DpAirflowError):
    """A ``--parameter-values`` argument is not of the form ID=VALUE."""


@dataclass(frozen=True)
class PipelineInputs:
    """What comes with a definition: a parameter-objects file, values files, inline values."""

    parameters_file: Path | None = None
    values_files: tuple[Path, ...] = ()
    inline: tuple[str, ...] = ()
    """``ID=VALUE`` strings, as given to ``--parameter-values``."""

    @classmethod
    def beside(cls, definition: str | Path) -> PipelineInputs:
        """The companion files next to a definition, by the dags-folder layout."""
        path = Path(definition)
        if path.name == FOLDER_DEFINITION:
            parameters, values = path.with_name(FOLDER_PARAMETERS), path.with_name(FOLDER_VALUES)
        else:
            parameters, values = companions_beside(path)
        return cls(
            parameters if parameters.is_file() else None,
            (values,) if values.is_file() else (),
        )

    def overridden(
        self,
        parameters_file: str | None = None,
        values_file: str | None = None,
        inline: tuple[str, ...] = (),
    ) -> PipelineInputs:
        """These inputs with files and values given explicitly (the CLI's flags) taking over."""
        return PipelineInputs(
            Path(parameters_file) if parameters_file else self.parameters_file,
            (Path(values_file),) if values_file else self.values_files,
            self.inline + inline,
        )


def read_pipeline(path: str | Path, inputs: PipelineInputs | None = None) -> LoadedFile:
    """Read a definition with its parameters and values (by default the files beside it).

    Raises UnreadableFileError when a file cannot be read and InputError for a malformed
    ``ID=VALUE``; problems inside the files are diagnostics, each naming its own file.
    """
    if Path(path).is_dir() and (Path(path) / FOLDER_DEFINITION).is_file():
        path = Path(path) / FOLDER_DEFINITION
    loaded = read_file(path)
    inputs = PipelineInputs.beside(path) if inputs is None else inputs
    if not inputs.parameters_file and not inputs.values_files and not inputs.inline:
        return loaded
    parameters = None
    if inputs.parameters_file is not None:
        companion = _companion(inputs.parameters_file, loaded, "parameters")
        parameters = companion.parameters if companion is not None else ()
    layers = []
    for values_file in inputs.values_files:
        companion = _companion(values_file, loaded, "values")
        if companion is not None and companion.values:
            layers.append(SuppliedValues(str(values_file), companion.values))
    if inputs.inline:
        layers.append(SuppliedValues(INLINE_ORIGIN, inline_values(inputs.inline)))
    loaded.definitions = [
        replace(
            definition,
            parameters=definition.parameters if parameters is None else parameters,
            supplied=(*definition.supplied, *layers),
        )
        for definition in loaded.definitions
    ]
    return loaded


def _companion(path: Path, into: LoadedFile, key: str) -> _Companion | None:
    """A parameters or values file's content; its diagnostics join ``into``'s.

    ``key`` is what the file must hold (``parameters`` or ``values``), as the AWS CLI reads it.
    """
    companion = read_file(path)
    problems = [d for d in companion.sink.items if d.code not in _COMPANION_NOISE]
    into.sink.items.extend(problems)
    first = companion.definitions[0] if companion.definitions else None
    # The reader says "no-objects" exactly when the file holds parameters or values.
    shaped = any(d.code == "no-objects" for d in companion.sink.items)
    if first is None or not shaped:
        shape = '{"parameters": [...]}' if key == "parameters" else '{"values": {...}}'
        if not any(d.is_error for d in problems):
            into.sink.error(
                "companion-format",
                f"expected {shape}, as the AWS CLI reads a --parameter-"
                f"{'objects' if key == 'parameters' else 'values-uri'} file",
                file=str(path),
            )
        return None
    return _Companion(first.parameters, first.values)


@dataclass(frozen=True)
class _Companion:
    parameters: tuple[RawParameter, ...]
    values: tuple[RawField, ...]


def inline_values(pairs: tuple[str, ...] | list[str]) -> tuple[RawField, ...]:
    """``ID=VALUE`` strings as value fields; a repeated id gives an array."""
    merged: dict[str, list[RawValue]] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise InputError(f"{INLINE_ORIGIN} takes ID=VALUE, not {pair!r}")
        merged.setdefault(key.strip(), []).append(RawValue(text=value))
    return tuple(
        RawField(key, tuple(values), None, len(values) > 1) for key, values in merged.items()
    )


def missing_value_message(parameter_id: str, dag_id: str, at_parse_time: bool = False) -> str:
    """What to say when a parameter has no value (the same in validation and at run time);
    ``at_parse_time``: a schedule needs it, so only what is known when the DAG is parsed helps."""
    if at_parse_time:
        return (
            f"parameter {parameter_id!r} has no value: a schedule needs it when the DAG is "
            "parsed, so give it in a values file (values.json, <stem>.values.json), the "
            "definition's values or a default"
        )
    name = parameter_id.removeprefix("*")
    places = [
        f"{INLINE_ORIGIN} {parameter_id}=VALUE",
        "a values file (values.json, <stem>.values.json)",
        f"the Airflow Variable {dag_id}__{name!s} or {name}",
    ]
    if not parameter_id.startswith("*"):
        places.append("the trigger form")  # secrets are never asked for there
    listed = ", ".join(places[:-1]) + ", or " + places[-1]
    return f"parameter {parameter_id!r} has no value; give one with {listed}"


def with_record_tags(loaded: LoadedFile, record: Path) -> None:
    """Give the definitions without tags of their own the tags of the pipeline folder's
    ``pipeline.json`` (``dp-airflow import`` keeps the pipeline's tags there); a record that
    cannot be read is a warning, and its tags are not used."""
    import json

    try:
        tags = json.loads(record.read_text()).get("tags") or {}
        pairs = tuple(sorted((str(k), str(v)) for k, v in tags.items()))
    except (OSError, ValueError, AttributeError) as exc:
        loaded.sink.warning(
            "invalid-structure", f"{record}: not a pipeline record, its tags are not used ({exc})"
        )
        return
    loaded.definitions = [d if d.tags else replace(d, tags=pairs) for d in loaded.definitions]

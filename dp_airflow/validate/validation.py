"""Validation: every rule run over a raw definition, every diagnostic collected.

Order: ids → inheritance → types and fields → required fields → references and cycles →
schedules → parameters → limits and expressions. A definition with no errors becomes a typed
``Pipeline``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from dp_airflow.diagnostics import Diagnostic, DiagnosticSink, did_you_mean
from dp_airflow.model.object_types import (
    OBJECT_TYPES,
    Pipeline,
    any_type_field_specs,
    field_specs,
)
from dp_airflow.read.raw import DEFAULT_OBJECT_ID, RawDefinition
from dp_airflow.read.readers import LoadedFile, read_file, read_text
from dp_airflow.resolve.inheritance import (
    ResolvedObject,
    resolve_inheritance,
    unique_objects,
)
from dp_airflow.validate import (
    rules_effects,
    rules_emr,
    rules_expressions,
    rules_formats,
    rules_graph,
    rules_limits,
    rules_parameters,
    rules_schedule,
)
from dp_airflow.validate.context import USER_FIELD, Context
from dp_airflow.validate.fieldcheck import check_field


@dataclass
class ValidationResult:
    """The outcome for one file: its pipelines (when valid) and every diagnostic."""

    file: str
    diagnostics: list[Diagnostic]
    definitions: list[RawDefinition] = field(default_factory=list)
    pipelines: list[Pipeline] = field(default_factory=list)
    contexts: list[Context] = field(default_factory=list)
    """One per definition, in order: inheritance applied, for translation."""

    @property
    def valid(self) -> bool:
        return bool(self.definitions) and not any(d.is_error for d in self.diagnostics)


def validate_file(path: str | Path, build_models: bool = True) -> ValidationResult:
    """Read and validate a file; raises UnreadableFileError only if it cannot be read.

    ``build_models=False`` skips the typed ``Pipeline`` (about 40 ms in a fresh process, for the
    union's validators): the DAG loader, parsed in a new process every cycle, needs only the
    contexts.
    """
    return validate_loaded(read_file(path), build_models)


def validate_text(text: str, name: str = "<definition>") -> ValidationResult:
    """Every diagnostic of a definition given as text."""
    return validate_loaded(read_text(text, name))


def validate_loaded(loaded: LoadedFile, build_models: bool = True) -> ValidationResult:
    """Every definition of a read file validated (the typed model when asked)."""
    sink = loaded.sink
    pipelines = []
    contexts = []
    for definition in loaded.definitions:
        own = DiagnosticSink(sink.file)
        context = validate_definition(definition, own)
        contexts.append(context)
        if build_models and not own.has_errors and not sink.has_errors:
            from dp_airflow.validate.build import build_pipeline

            pipeline = build_pipeline(definition, context)
            if pipeline is not None:
                pipelines.append(pipeline)
        sink.items.extend(own.items)
    return ValidationResult(loaded.path, sink.sorted(), loaded.definitions, pipelines, contexts)


def validate_definition(definition: RawDefinition, sink: DiagnosticSink) -> Context:
    """The validation context of one definition: ids, inheritance and every rule run."""
    objects = unique_objects(definition, sink)
    resolved = resolve_inheritance(objects, sink)
    parents = {o.parent for o in objects.values() if o.parent is not None}
    context = Context(definition, sink, objects, resolved, parents)
    for obj in resolved.values():
        _check_type(context, obj)
        _check_local_fields(context, obj)
    _check_required(context)
    rules_graph.check(context)
    rules_schedule.check(context)
    rules_parameters.check(context)
    rules_limits.check(context)
    rules_expressions.check(context)
    rules_emr.check(context)
    rules_formats.check(context)
    rules_effects.check(context)
    return context


def _check_type(context: Context, obj: ResolvedObject) -> None:
    sink, type_name = context.sink, obj.type
    if type_name is None:
        if obj.id != DEFAULT_OBJECT_ID and obj.id not in context.parents:
            sink.warning(
                "untyped-object",
                "object has no 'type' and no object names it as 'parent'; it is ignored",
                object_id=obj.id,
                location=obj.raw.location,
            )
        return
    if type_name in OBJECT_TYPES or (type_name == "Default" and obj.id == DEFAULT_OBJECT_ID):
        return
    type_field = obj.fields["type"]
    if type_field.origin != obj.id:
        return  # reported on the parent that declares it
    sink.error(
        "unknown-type",
        f"unknown object type {type_name!r}" + did_you_mean(type_name, list(OBJECT_TYPES)),
        object_id=obj.id,
        field="type",
        location=type_field.field.value.location,
    )


def _check_local_fields(context: Context, obj: ResolvedObject) -> None:
    sink = context.sink
    cls = OBJECT_TYPES.get(obj.type or "")
    specs = field_specs(cls) if cls is not None else any_type_field_specs()
    for f in obj.raw.fields:
        where = {"object_id": obj.id, "field": f.key, "location": f.location}
        for value in f.values:
            if value.text == "" or value.ref == "":
                sink.error(
                    "empty-value",
                    "empty value: Data Pipeline refuses to save a definition with an empty "
                    "string or reference field",
                    object_id=obj.id,
                    field=f.key,
                    location=value.location,
                )
        if f.key == "type":
            continue
        if f.key.startswith("@"):
            sink.error(
                "runtime-field",
                f"{f.key!r} is a runtime field set by the service; it cannot "
                "be written in a definition",
                **where,
            )
            continue
        if USER_FIELD.match(f.key):
            continue
        if cls is not None and f.key in cls.not_allowed:
            sink.error(
                "field-not-allowed",
                f"{f.key!r} is not allowed on {obj.type} objects",
                **where,
            )
            continue
        spec = specs.get(f.key)
        if spec is None:
            known = list(specs) if cls is not None else list(any_type_field_specs())
            kind = f"{obj.type} objects" if cls is not None else "any object type"
            sink.warning(
                "unknown-field",
                f"{f.key!r} is not a field of {kind}; it is ignored"
                + did_you_mean(f.key, known)
                + (
                    " (user fields start with 'my' and a capital letter)"
                    if f.key.lower().startswith("my")
                    else ""
                ),
                **where,
            )
            continue
        check_field(obj.id, f, spec, sink)


_BOTH_ALLOWED = frozenset({("runsOn", "workerGroup")})


def _check_required(context: Context) -> None:
    sink = context.sink
    for obj, cls in context.typed():
        where = {"object_id": obj.id, "location": obj.raw.location}
        for name, spec in field_specs(cls).items():
            if spec.required and name not in obj.fields:
                sink.error(
                    "missing-required",
                    f"{obj.type} requires the field {name!r}",
                    field=name,
                    **where,
                )
        for group in cls.one_of:
            present = [name for name in group if name in obj.fields]
            if not present:
                sink.error(
                    "one-of-required",
                    f"{obj.type} requires one of {_names(group, 'or')}",
                    **where,
                )
            elif len(present) > 1:
                _report_both(context, obj, tuple(present), group in _BOTH_ALLOWED)
        for group in cls.at_most_one:
            present = [name for name in group if name in obj.fields]
            if len(present) > 1:
                _report_both(context, obj, tuple(present), allowed=False)


def _report_both(
    context: Context, obj: ResolvedObject, present: tuple[str, ...], allowed: bool
) -> None:
    origins = {obj.fields[name].origin for name in present}
    if allowed:
        if origins == {obj.id}:
            context.sink.warning(
                "ignored-field",
                f"both {_names(present)} are set; {present[-1]!r} is ignored",
                object_id=obj.id,
                field=present[-1],
                location=obj.fields[present[-1]].field.location,
            )
        return
    last = obj.fields[present[-1]]
    context.sink.error(
        "mutually-exclusive",
        f"{_names(present)} cannot be used together"
        + (
            ""
            if origins == {obj.id}
            else f" (inherited from {', '.join(sorted(origins - {obj.id}))})"
        ),
        object_id=obj.id,
        field=present[-1],
        location=last.field.location,
    )


def _names(names: tuple[str, ...], conjunction: str = "and") -> str:
    quoted = [repr(n) for n in names]
    return ", ".join(quoted[:-1]) + f" {conjunction} " + quoted[-1]

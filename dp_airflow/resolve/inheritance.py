"""``Default`` and ``parent`` inheritance: the fields each object ends up with, and from where.

An object without ``parent`` inherits from ``Default``; an object with ``parent`` inherits from its
parent chain only (Data Pipeline's syntax page), so ``Default`` reaches it only through a chain
whose top object has no parent. Local fields win over inherited ones, nearer parents over farther.
"""

from __future__ import annotations

from dataclasses import dataclass

from dp_airflow.diagnostics import DiagnosticSink
from dp_airflow.read.raw import DEFAULT_OBJECT_ID, RawDefinition, RawField, RawObject

_NOT_INHERITED = frozenset({"parent"})


@dataclass(frozen=True, slots=True)
class EffectiveField:
    """A field an object has, and the object it comes from (itself, a parent, Default)."""

    field: RawField
    origin: str
    """Id of the object the field was written on."""

    def __reduce__(self) -> tuple[type[EffectiveField], tuple[RawField, str]]:
        return (EffectiveField, (self.field, self.origin))


@dataclass(frozen=True, slots=True)
class ResolvedObject:
    """An object with its effective fields after ``Default`` and ``parent`` inheritance."""

    raw: RawObject
    fields: dict[str, EffectiveField]

    def __reduce__(self) -> tuple[type[ResolvedObject], tuple[object, ...]]:
        return (ResolvedObject, (self.raw, self.fields))

    @property
    def id(self) -> str:
        return self.raw.id

    @property
    def type(self) -> str | None:
        found = self.fields.get("type")
        if found is None or not found.field.values or found.field.value.is_ref:
            return None
        return found.field.value.text

    def value_text(self, key: str) -> str | None:
        found = self.fields.get(key)
        if found is None or not found.field.values or found.field.value.is_ref:
            return None
        return found.field.value.text

    def ref_ids(self, key: str) -> list[str]:
        found = self.fields.get(key)
        if found is None:
            return []
        return [v.ref for v in found.field.values if v.ref is not None]


def unique_objects(definition: RawDefinition, sink: DiagnosticSink) -> dict[str, RawObject]:
    """Objects by id; a repeated id is an error and only its first object is kept."""
    objects: dict[str, RawObject] = {}
    for obj in definition.objects:
        if obj.id in objects:
            first = objects[obj.id].location
            where = f" (first defined at line {first.line})" if first else ""
            sink.error(
                "duplicate-id",
                f"object id {obj.id!r} is defined more than once{where}",
                object_id=obj.id,
                location=obj.location,
            )
            continue
        objects[obj.id] = obj
    return objects


def resolve_inheritance(
    objects: dict[str, RawObject], sink: DiagnosticSink
) -> dict[str, ResolvedObject]:
    """Every object's effective fields, each object resolved once from its parent's result.

    Linear in the objects and the fields they pass down: a parent chain of n objects costs n
    steps (each walk stops at the first object already resolved). An object in a ``parent``
    cycle (an error) inherits only from the cycle members above it on the walk that found it.
    """
    default = objects.get(DEFAULT_OBJECT_ID)
    from_default = _passed_down(_own_fields(default)) if default is not None else {}
    resolved: dict[str, ResolvedObject] = {}
    reported_cycles: set[frozenset[str]] = set()
    for obj in objects.values():
        if obj.id in resolved:
            continue
        path = [obj]
        position = {obj.id: 0}
        inherited: dict[str, EffectiveField] = {}
        current = obj
        while (parent_id := current.parent) is not None:
            if parent_id in resolved:
                inherited = _passed_down(resolved[parent_id].fields)
                break
            if parent_id not in objects:
                break  # reported as a dangling reference
            if parent_id in position:
                _report_cycle(
                    [o.id for o in path[position[parent_id] :]], objects, sink, reported_cycles
                )
                break
            current = objects[parent_id]
            position[current.id] = len(path)
            path.append(current)
        else:
            if current is not default:
                inherited = from_default
        for member in reversed(path):
            fields = {**inherited, **_own_fields(member)}
            resolved[member.id] = ResolvedObject(member, fields)
            inherited = _passed_down(fields)
    return {object_id: resolved[object_id] for object_id in objects}


def _own_fields(obj: RawObject) -> dict[str, EffectiveField]:
    return {f.key: EffectiveField(f, obj.id) for f in obj.fields}


def _passed_down(fields: dict[str, EffectiveField]) -> dict[str, EffectiveField]:
    """What a child inherits: everything but ``parent`` and the Default object's own ``type``
    (CloudFormation writes ``type: Default`` on it)."""
    return {
        key: value
        for key, value in fields.items()
        if key not in _NOT_INHERITED and not (key == "type" and value.origin == DEFAULT_OBJECT_ID)
    }


def _report_cycle(
    members: list[str],
    objects: dict[str, RawObject],
    sink: DiagnosticSink,
    reported: set[frozenset[str]],
) -> None:
    key = frozenset(members)
    if key in reported:
        return
    reported.add(key)
    start = objects[members[0]]
    parent_field = start.get("parent")
    sink.error(
        "cycle-parent",
        f"parent cycle: {' -> '.join([*members, members[0]])}",
        object_id=start.id,
        field="parent",
        location=parent_field.location if parent_field else start.location,
    )

"""``Default`` and ``parent`` inheritance: the fields each object ends up with, and from where.

An object without ``parent`` inherits from ``Default``; an object with ``parent`` inherits from its
parent chain only (Data Pipeline's syntax page), so ``Default`` reaches it only through a chain
whose top object has no parent. Local fields win over inherited ones, nearer parents over farther.
"""

from __future__ import annotations

from dataclasses import dataclass

from dp_airflow.definition.diagnostics import DiagnosticSink
from dp_airflow.definition.model import DEFAULT_OBJECT_ID
from dp_airflow.definition.raw import RawDefinition, RawField, RawObject

_NOT_INHERITED = frozenset({"parent"})


@dataclass(frozen=True, slots=True)
class EffectiveField:
    field: RawField
    origin: str
    """Id of the object the field was written on."""


@dataclass(frozen=True, slots=True)
class ResolvedObject:
    raw: RawObject
    fields: dict[str, EffectiveField]
    chain: tuple[str, ...]
    """Ids the fields came from, nearest first (the object itself first)."""

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
    reported_cycles: set[frozenset[str]] = set()
    default = objects.get(DEFAULT_OBJECT_ID)
    resolved: dict[str, ResolvedObject] = {}
    for obj in objects.values():
        chain = _parent_chain(obj, objects, sink, reported_cycles)
        top = objects[chain[-1]]
        if default is not None and top.parent is None and DEFAULT_OBJECT_ID not in chain:
            chain = (*chain, DEFAULT_OBJECT_ID)
        fields: dict[str, EffectiveField] = {}
        for source_id in reversed(chain):
            source = objects[source_id]
            for f in source.fields:
                if source_id != obj.id and f.key in _NOT_INHERITED:
                    continue
                if source_id == DEFAULT_OBJECT_ID and source_id != obj.id and f.key == "type":
                    continue  # CloudFormation writes type=Default on the Default object
                fields[f.key] = EffectiveField(f, source_id)
        resolved[obj.id] = ResolvedObject(obj, fields, chain)
    return resolved


def _parent_chain(
    obj: RawObject,
    objects: dict[str, RawObject],
    sink: DiagnosticSink,
    reported: set[frozenset[str]],
) -> tuple[str, ...]:
    chain = [obj.id]
    current = obj
    while current.parent is not None:
        parent_id = current.parent
        if parent_id not in objects:
            break  # reported as a dangling reference
        if parent_id in chain:
            cycle = [*chain[chain.index(parent_id) :], parent_id]
            key = frozenset(cycle)
            if key not in reported:
                reported.add(key)
                start = objects[cycle[0]]
                parent_field = start.get("parent")
                sink.error(
                    "cycle-parent",
                    f"parent cycle: {' -> '.join(cycle)}",
                    object_id=start.id,
                    field="parent",
                    location=parent_field.location if parent_field else start.location,
                )
            break
        chain.append(parent_id)
        current = objects[parent_id]
    return tuple(chain)

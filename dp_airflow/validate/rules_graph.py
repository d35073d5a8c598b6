"""References (dangling, wrong kind) and cycles in ``dependsOn`` and data flow."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dp_airflow.diagnostics import did_you_mean
from dp_airflow.model.object_types import (
    OBJECT_TYPES,
    any_type_field_specs,
    field_specs,
    type_matches,
)

if TYPE_CHECKING:
    from dp_airflow.validate.context import Context


def check(context: Context) -> None:
    """References to missing or wrong-type objects, and dependency cycles."""
    _check_references(context)
    _check_cycles(context)


def _check_references(context: Context) -> None:
    sink, objects = context.sink, context.objects
    for obj in objects.values():
        own_type = context.type_of(obj.id)
        cls = OBJECT_TYPES.get(own_type or "")
        specs = field_specs(cls) if cls is not None else any_type_field_specs()
        for f in obj.fields:
            for value in f.values:
                if value.ref is None or value.ref == "":
                    continue
                where = {"object_id": obj.id, "field": f.key, "location": value.location}
                target_type = context.type_of(value.ref)
                if value.ref not in objects:
                    sink.error(
                        "dangling-reference",
                        f"reference to {value.ref!r}, but no object has that id"
                        + did_you_mean(value.ref, list(objects)),
                        **where,
                    )
                    continue
                spec = specs.get(f.key)
                target_cls = OBJECT_TYPES.get(target_type or "")
                if spec is None or target_cls is None or not spec.slot.targets:
                    continue
                if not type_matches(target_cls, spec.slot.targets):
                    sink.error(
                        "wrong-reference-kind",
                        f"{f.key!r} must name {_kinds(spec.slot.targets)}, but {value.ref!r} "
                        f"is a {target_type}",
                        **where,
                    )


def _kinds(targets: tuple[str, ...]) -> str:
    words = {
        "DataNode": "a data node",
        "Activity": "an activity",
        "Action": "an action",
        "Precondition": "a precondition",
        "Database": "a database",
        "DataFormat": "a data format",
        "Schedule": "a Schedule",
    }
    names = [words.get(t, f"an {t}" if t[0] in "AEIOU" else f"a {t}") for t in targets]
    return " or ".join(names)


def _check_cycles(context: Context) -> None:
    """One graph of 'runs after' edges: dependsOn, and activity → output node → consumer."""
    edges: dict[str, list[tuple[str, str]]] = {}
    known = context.objects
    for obj in context.resolved.values():
        # Dangling references are reported on their own; they cannot close a cycle.
        for target in obj.ref_ids("dependsOn"):
            if target in known:
                edges.setdefault(obj.id, []).append((target, "dependsOn"))
        for node in obj.ref_ids("input"):
            if node in known:
                edges.setdefault(obj.id, []).append((node, "input"))
        for node in obj.ref_ids("output"):
            if node in known:
                edges.setdefault(node, []).append((obj.id, "output"))
    reported: set[frozenset[str]] = set()
    state: dict[str, int] = {}
    for start in sorted(edges):
        if state.get(start) is None:
            _visit(start, edges, state, context, reported)


def _visit(
    start: str,
    edges: dict[str, list[tuple[str, str]]],
    state: dict[str, int],
    context: Context,
    reported: set[frozenset[str]],
) -> None:
    """Depth-first colouring (1 = on the current path, 2 = done), iterative so that a chain of
    thousands of objects neither recurses nor copies its path at each step."""
    path: list[tuple[str, str]] = []  # (ancestor, label of its edge down the path)
    stack = [(start, iter(edges.get(start, ())))]
    state[start] = 1
    while stack:
        node, pending = stack[-1]
        for target, label in pending:
            if state.get(target) == 1:
                _report_cycle(target, [*path, (node, label)], context, reported)
            elif state.get(target) is None and target in context.objects:
                path.append((node, label))
                state[target] = 1
                stack.append((target, iter(edges.get(target, ()))))
                break
        else:
            state[node] = 2
            stack.pop()
            if path:
                path.pop()


def _report_cycle(
    target: str, path: list[tuple[str, str]], context: Context, reported: set[frozenset[str]]
) -> None:
    ids = [n for n, _ in path]
    start = ids.index(target)
    cycle = path[start:]
    key = frozenset(n for n, _ in cycle)
    if key in reported:
        return
    reported.add(key)
    labels = {label for _, label in cycle}
    code = (
        "cycle-depends-on"
        if labels == {"dependsOn"}
        else ("cycle-data-flow" if "dependsOn" not in labels else "cycle-dependency")
    )
    # Written as "A waits for B": dependsOn and input edges read that way; output edges reverse.
    text = " -> ".join(n for n, _ in cycle) + f" -> {target}"
    first_id, first_label = cycle[0]
    obj = context.objects[first_id]
    field_name = first_label if first_label != "output" else None
    raw_field = obj.get(first_label) if field_name else None
    kind = {"cycle-depends-on": "dependsOn", "cycle-data-flow": "data flow"}.get(code, "dependency")
    context.sink.error(
        code,
        f"{kind} cycle: {text}",
        object_id=first_id,
        field=field_name,
        location=raw_field.location if raw_field else obj.location,
    )

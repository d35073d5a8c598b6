"""The package's shape: no import cycle anywhere, counting imports inside functions and under
TYPE_CHECKING too (they hide cycles, they do not remove them)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).parents[1] / "dp_airflow"


def import_graph() -> dict[str, set[str]]:
    modules: dict[str, Path] = {}
    for path in PACKAGE.rglob("*.py"):
        name = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        modules[name.removesuffix(".__init__")] = path
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text())):
            targets: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.module:
                targets = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            graph[name].update(t for t in targets if t in modules and t != name)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    group = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.append(member)
                        if member == node:
                            break
                    if len(group) > 1:
                        found.append(sorted(group))
    return found


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_module_of_the_package_is_part_of_an_import_cycle() -> None:
    graph = import_graph()
    assert len(graph) > 90
    assert cycles(graph) == []


STAGES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("foundation", ("errors", "diagnostics", "settings", "budget")),
    ("discover", ("discovery",)),
    ("read", ("read",)),
    ("resolve", ("resolve",)),
    ("model", ("model",)),
    ("languages", ("expressions", "schedule", "emr")),
    ("validate", ("validate",)),
    ("plan", ("plan",)),
    ("runtime", ("runtime", "operators", "notifiers", "sql", "schedule.timetable")),
    ("render", ("render",)),
    ("report", ("migration_report", "ui.catalog", "ui.pages")),
    ("load", ("loader", "parse_cache")),
    ("serve", ("ui", "plugin")),
    ("cli", ("cli",)),
)
"""The stages in import order: a module may import its own stage and earlier ones only. The
runtime (operators, notifiers) comes before render, which instantiates it; the languages
(expressions, schedules, EMR requests) serve validation and the runtime alike."""


def stage_of(module: str) -> int | None:
    """The index in STAGES of a module of the package (the longest matching prefix wins)."""
    best: tuple[int, int] | None = None
    relative = module.removeprefix("dp_airflow.")
    for rank, (_, prefixes) in enumerate(STAGES):
        for prefix in prefixes:
            matches = relative == prefix or relative.startswith(prefix + ".")
            if matches and (best is None or len(prefix) > best[1]):
                best = (rank, len(prefix))
    return None if best is None else best[0]


def test_every_module_belongs_to_a_stage() -> None:
    unplaced = [m for m in import_graph() if m != "dp_airflow" and stage_of(m) is None]
    assert unplaced == []


def test_no_module_imports_from_a_later_stage() -> None:
    later = [
        f"{module} ({STAGES[stage_of(module) or 0][0]}) imports {target} "
        f"({STAGES[stage_of(target) or 0][0]})"
        for module, targets in import_graph().items()
        for target in targets
        if module != "dp_airflow" and (stage_of(target) or 0) > (stage_of(module) or 0)
    ]
    assert later == []


def test_the_stage_check_sees_a_backward_import() -> None:
    assert stage_of("dp_airflow.read.raw") == 2
    assert stage_of("dp_airflow.schedule.timetable") == 8  # longer prefix than "schedule"
    assert (stage_of("dp_airflow.read.raw") or 0) < (stage_of("dp_airflow.validate.context") or 0)


def test_every_public_function_and_class_has_a_docstring() -> None:
    missing = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.parse(path.read_text()).body:
            public = not getattr(node, "name", "_").startswith("_")
            kinds = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
            if isinstance(node, kinds) and public and ast.get_docstring(node) is None:
                missing.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno} {node.name}")
    assert missing == []

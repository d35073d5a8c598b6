"""The object/field catalogue as Markdown (docs/mapping.md is generated from the model).

Run ``python -m dp_airflow.model.mapping_doc > docs/mapping.md``; a test keeps the file current.
"""

from __future__ import annotations

from dp_airflow.model.object_types import OBJECT_TYPES, field_specs
from dp_airflow.model.objects.base import Category
from dp_airflow.model.registry import REGISTRY, Role, field_use
from dp_airflow.model.slots import Kind

NOT_YET = "not translated yet: its task fails saying so"
FAMILY = {
    Category.SCHEDULE: "the DAG's `DataPipelineTimetable` ([schedules](schedules.md))",
    Category.DATA_NODE: "data-flow edges between its writers and readers; its preconditions "
    "become one sensor",
    Category.RESOURCE: "no task: its activities run on Airflow workers",
    Category.DATABASE: "a connection for SQL and copy activities ([data](data-movement.md))",
    Category.DATA_FORMAT: "the record format of the copy it belongs to",
    Category.ACTION: "used by the object referring to it",
    Category.UTILITY: "settings of the object referring to it",
}


def becomes(name: str, category: Category) -> str:
    """What a type becomes in Airflow today: its registry entry's words, else its family's."""
    entry = REGISTRY[name]
    if entry.role is Role.CLUSTER:
        return f"{entry.becomes} ([data movement](data-movement.md))"
    if entry.becomes:
        return f"{entry.becomes} ([runtime](runtime.md))"
    if category in (Category.ACTIVITY, Category.PRECONDITION):
        return NOT_YET
    return FAMILY[category]


def _kind(spec_kind: Kind, choices: tuple[str, ...], targets: tuple[str, ...]) -> str:
    if spec_kind is Kind.ENUM:
        return "one of " + ", ".join(f"`{c}`" for c in choices)
    if spec_kind is Kind.REF:
        return "ref → " + (" / ".join(targets) if targets else "any object")
    return spec_kind.value


def render_markdown() -> str:
    """docs/mapping.md: every type, what it becomes, and each field's kind and treatment."""
    lines = [
        "# Data Pipeline objects and fields",
        "",
        "Generated from the model by `python -m dp_airflow.model.mapping_doc`; do not edit.",
        "Every object type and field below is read, validated (kind, multiplicity, required,",
        "one-of groups, references) and kept in the typed model. The last column says what the",
        "object becomes in Airflow today; the last column of each field table what dp-airflow",
        "does with the field.",
        "",
        "Every type also takes `parent` and user fields `my…` (kept as written; `*my…` are",
        "secrets). `@` fields are set by the service and refused in definitions.",
        "",
        "| type | family | becomes |",
        "|---|---|---|",
    ]
    for name, cls in OBJECT_TYPES.items():
        lines.append(
            f"| [{name}](#{name.lower()}) | {cls.category.value} | {becomes(name, cls.category)} |"
        )
    for name, cls in OBJECT_TYPES.items():
        lines += ["", f"## {name}", ""]
        doc = (cls.__doc__ or "").strip().splitlines()
        if doc and not doc[0].startswith(("Group", "Fields shared")):
            lines += [doc[0], ""]
        groups = [" or ".join(f"`{n}`" for n in g) for g in cls.one_of]
        if groups:
            lines += ["Exactly one of: " + "; ".join(groups) + ".", ""]
        if cls.not_allowed:
            lines += ["Not allowed: " + ", ".join(f"`{n}`" for n in cls.not_allowed) + ".", ""]
        lines += [
            "| field | kind | multi | required | what dp-airflow does |",
            "|---|---|---|---|---|",
        ]
        for field, spec in field_specs(cls).items():
            if field == "parent":
                continue
            kind = _kind(spec.slot.kind, spec.slot.choices, spec.slot.targets)
            lines.append(
                f"| `{field}` | {kind} | {'yes' if spec.slot.multi else ''} | "
                f"{'yes' if spec.required else ''} | {field_use(name, field) or ''} |"
            )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(render_markdown(), end="")

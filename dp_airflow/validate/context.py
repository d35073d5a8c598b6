"""What the validation passes share about one definition (imported by the rule modules and by
the validator that runs them, so neither imports the other)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from dp_airflow.diagnostics import DiagnosticSink
from dp_airflow.model.object_types import OBJECT_TYPES
from dp_airflow.model.objects.base import ObjectModel
from dp_airflow.read.raw import RawDefinition, RawObject
from dp_airflow.resolve.inheritance import ResolvedObject

USER_FIELD = re.compile(r"^\*?my[A-Z_]")
"""User fields: ``my`` (or ``*my``, a secret) and a capital letter or underscore."""


@dataclass
class Context:
    """What the passes share about one definition."""

    definition: RawDefinition
    sink: DiagnosticSink
    objects: dict[str, RawObject]
    resolved: dict[str, ResolvedObject]
    parents: set[str]
    """Ids used as someone's ``parent``."""

    def type_of(self, object_id: str) -> str | None:
        obj = self.resolved.get(object_id)
        return obj.type if obj else None

    def typed(self) -> list[tuple[ResolvedObject, type[ObjectModel]]]:
        out = []
        for obj in self.resolved.values():
            cls = OBJECT_TYPES.get(obj.type or "")
            if cls is not None:
                out.append((obj, cls))
        return out

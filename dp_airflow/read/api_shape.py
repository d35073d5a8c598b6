"""The API shape of a definition (``pipelineObjects`` with ``fields`` of ``key`` and
``stringValue``/``refValue``) and what a reader of it offers, shared by the file readers and the
CloudFormation reader so that neither imports the other's internals."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from dp_airflow.diagnostics import DiagnosticSink
from dp_airflow.read.raw import RawField, RawObject, RawParameter
from dp_airflow.read.source import Node, SourceText


@dataclass(frozen=True)
class ApiKeys:
    """Member names of the API shape: camelCase at the API, PascalCase in CloudFormation."""

    id: str
    name: str
    fields: str
    key: str
    string: str
    ref: str


API_KEYS = ApiKeys("id", "name", "fields", "key", "stringValue", "refValue")
CFN_KEYS = ApiKeys("Id", "Name", "Fields", "Key", "StringValue", "RefValue")


class ApiReader(Protocol):
    """What reading the API shape needs: the file's diagnostics and text, and the readers of
    objects, parameters and values in either spelling."""

    sink: DiagnosticSink
    source: SourceText
    name: str
    intrinsics: Callable[[Node, str | None, str], str | None] | None

    def api_object(
        self, node: Node, inside_cli: bool = False, keys: ApiKeys | None = None
    ) -> RawObject | None: ...

    def api_parameters(
        self, node: Node | None, attributes_key: str, k: ApiKeys | None = None
    ) -> tuple[RawParameter, ...]: ...

    def api_values(self, node: Node | None, k: ApiKeys | None = None) -> tuple[RawField, ...]: ...

    def scalar_text(self, node: Node, object_id: str | None, key: str) -> str | None: ...

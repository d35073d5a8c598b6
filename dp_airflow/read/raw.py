"""The raw definition: objects, fields, parameters and values as written, with their places.

All three input formats (CLI file, API ``pipelineObjects``, CloudFormation) read into this one
shape; validation and the typed model work from it, and ``convert`` writes it back out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dp_airflow.diagnostics import Location
from dp_airflow.read.source import Node, SourceText

DEFAULT_OBJECT_ID = "Default"
"""The object whose fields every other object inherits."""


@dataclass(frozen=True, slots=True)
class RawValue:
    """One value of a field: a string (``text``) or a reference to an object id (``ref``)."""

    text: str | None = None
    ref: str | None = None
    location: Location | None = None
    node: Node | None = None
    """The source node, for pointing at a character inside a string."""

    @property
    def is_ref(self) -> bool:
        return self.ref is not None

    def __reduce__(self) -> tuple[type[RawValue], tuple[str | None, str | None]]:
        # Pickled for the parse cache, where only the value counts: the place is left out,
        # and positional construction beats the dataclass's field-by-field __setstate__.
        return (RawValue, (self.text, self.ref))

    def shown(self) -> str:
        return f"{{ref: {self.ref}}}" if self.ref is not None else repr(self.text)


@dataclass(frozen=True, slots=True)
class RawField:
    """A field with one or more values (several for multi-valued fields)."""

    key: str
    values: tuple[RawValue, ...]
    location: Location | None = None
    written_as_list: bool = False

    @property
    def value(self) -> RawValue:
        return self.values[0]

    def __reduce__(self) -> tuple[type[RawField], tuple[object, ...]]:
        return (RawField, (self.key, self.values, None, self.written_as_list))

    @property
    def is_secret(self) -> bool:
        return self.key.startswith("*")


@dataclass(frozen=True, slots=True)
class RawObject:
    """One object as written: id, name, fields, place."""

    id: str
    name: str | None
    fields: tuple[RawField, ...]
    location: Location | None = None

    def get(self, key: str) -> RawField | None:
        for f in self.fields:
            if f.key == key:
                return f
        return None

    def __reduce__(self) -> tuple[type[RawObject], tuple[object, ...]]:
        return (RawObject, (self.id, self.name, self.fields))

    @property
    def type(self) -> str | None:
        f = self.get("type")
        return f.value.text if f and f.values and not f.value.is_ref else None

    @property
    def parent(self) -> str | None:
        f = self.get("parent")
        return f.value.ref if f and f.values else None


@dataclass(frozen=True, slots=True)
class RawParameter:
    """One parameter declaration as written: id, attributes, place."""

    id: str
    attributes: tuple[RawField, ...]
    location: Location | None = None

    def get(self, key: str) -> RawField | None:
        for f in self.attributes:
            if f.key == key:
                return f
        return None

    def text(self, key: str) -> str | None:
        f = self.get(key)
        return f.value.text if f and f.values else None

    def __reduce__(self) -> tuple[type[RawParameter], tuple[object, ...]]:
        return (RawParameter, (self.id, self.attributes))


@dataclass(frozen=True, slots=True)
class SuppliedValues:
    """Parameter values given beside the definition: a values file or the command line."""

    origin: str
    """The values file's path, or ``--parameter-values``: where diagnostics point."""
    values: tuple[RawField, ...]


@dataclass(frozen=True, slots=True)
class RawDefinition:
    """One pipeline's definition as read from a file."""

    objects: tuple[RawObject, ...]
    parameters: tuple[RawParameter, ...] = ()
    values: tuple[RawField, ...] = ()
    """Parameter values: ``key`` is the parameter id."""
    source_format: str = "cli"
    """``cli``, ``api``, ``cloudformation`` or ``fragment``."""
    file: str | None = None
    pipeline_name: str | None = None
    """The CloudFormation resource's logical id when a template holds several pipelines."""
    source: SourceText | None = field(default=None, compare=False, repr=False)
    tags: tuple[tuple[str, str], ...] = ()
    """The pipeline's tags (key, value): CloudFormation's ``PipelineTags``."""
    supplied: tuple[SuppliedValues, ...] = ()
    """Values from outside the definition, in increasing precedence (values files, then the
    command line); each replaces the definition's own value of the same parameter."""

    def parameters_by_id(self) -> dict[str, RawParameter]:
        return {p.id: p for p in self.parameters}

    def value_texts(self) -> dict[str, tuple[str, ...]]:
        """Parameter id → its values as text: the definition's, overridden by supplied ones."""
        return {**self.own_value_texts(), **self.supplied_value_texts()}

    def own_value_texts(self) -> dict[str, tuple[str, ...]]:
        """Parameter id → the values written in the definition itself."""
        return _texts(self.values)

    def supplied_value_texts(self) -> dict[str, tuple[str, ...]]:
        """Parameter id → the values given beside the definition (files, command line)."""
        out: dict[str, tuple[str, ...]] = {}
        for layer in self.supplied:
            out.update(_texts(layer.values))
        return out


def _texts(fields: tuple[RawField, ...]) -> dict[str, tuple[str, ...]]:
    return {f.key: tuple(v.text or "" for v in f.values) for f in fields}

"""Read a file into raw definitions: CLI file format, API ``pipelineObjects``, CloudFormation.

Shapes we accept beyond the three formats, each with a warning: fragments (objects pasted without
the ``objects`` wrapper), API-shaped entries inside ``objects``, and the older ``slots`` spelling.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from dp_airflow.diagnostics import DiagnosticSink, Location
from dp_airflow.errors import UnreadableFileError
from dp_airflow.read.api_shape import API_KEYS, ApiKeys
from dp_airflow.read.cloudformation import read_cloudformation
from dp_airflow.read.raw import RawDefinition, RawField, RawObject, RawParameter, RawValue
from dp_airflow.read.source import (
    JsonSyntaxError,
    Node,
    SourceText,
    parse_json,
)


@dataclass
class LoadedFile:
    """What one file yielded: its pipelines (several only for CloudFormation) and diagnostics."""

    path: str
    definitions: list[RawDefinition]
    sink: DiagnosticSink
    source: SourceText | None = field(default=None, repr=False)


def read_file(path: str | Path) -> LoadedFile:
    """Read ``path``; raises UnreadableFileError only when it cannot be opened or decoded."""
    name = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise UnreadableFileError(f"{name}: cannot read: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnreadableFileError(f"{name}: not UTF-8 text ({exc.reason})") from None
    return read_text(text, name)


def read_text(text: str, name: str = "<definition>") -> LoadedFile:
    """The definitions in a text of any supported format, with their diagnostics."""
    sink = DiagnosticSink(name)
    source = SourceText(text)
    reader = _Reader(source, sink, name)
    definitions = reader.read()
    return LoadedFile(name, definitions, sink, source)


_YAML_SUFFIXES = (".yaml", ".yml", ".template")


class _Reader:
    def __init__(self, source: SourceText, sink: DiagnosticSink, name: str) -> None:
        self.source = source
        self.sink = sink
        self.name = name
        self.intrinsics: Callable[[Node, str | None, str], str | None] | None = None
        """Set while reading CloudFormation: resolves intrinsic functions in string values."""

    def read(self) -> list[RawDefinition]:
        text = self.source.text
        if not text.strip():
            self.sink.error("json-syntax", "the file is empty")
            return []
        looks_yaml = self.name.lower().endswith(_YAML_SUFFIXES) or not text.lstrip().startswith(
            ("{", "[", '"')
        )
        try:
            roots = self._parse_yaml(text) if looks_yaml else self._parse_json(text)
        except JsonSyntaxError as exc:
            kind = "YAML" if looks_yaml else "JSON"
            message = exc.message if exc.message.startswith("YAML") else f"{kind}: {exc.message}"
            self.sink.error("json-syntax", message, location=self.source.location(exc.offset))
            return []
        return self._dispatch(roots)

    def _parse_json(self, text: str) -> list[Node]:
        document = parse_json(text)
        for leniency in document.leniencies:
            self.sink.warning(
                "lenient-json",
                f"{leniency.message} (read anyway; the AWS CLI would refuse this file)",
                location=self.source.location(leniency.offset),
            )
        return document.values

    def _parse_yaml(self, text: str) -> list[Node]:
        from dp_airflow.read.yaml_source import parse_yaml

        return [parse_yaml(text)]

    # -- which format ----------------------------------------------------------------------
    def _dispatch(self, roots: list[Node]) -> list[RawDefinition]:
        if len(roots) > 1 or roots[0].is_array:
            items = list(roots[0].items) if len(roots) == 1 else roots
            return [self._fragment(items, roots[0].start)]
        root = roots[0]
        if not root.is_object:
            self.sink.error(
                "unknown-format",
                "expected a JSON object holding 'objects' (CLI format), 'pipelineObjects' "
                "(API format) or a CloudFormation template",
                location=self.source.location(root.start),
            )
            return []
        pipelines = list(_cloudformation_pipelines(root))
        if pipelines:
            return read_cloudformation(self, root, pipelines)
        if root.get("pipelineObjects") is not None:
            return [self._api(root)]
        if root.get("objects") is not None:
            return [self._cli(root)]
        if root.get("id") is not None:
            return [self._fragment([root], root.start)]
        if root.get("parameters") is not None or root.get("values") is not None:
            self.sink.warning(
                "no-objects",
                "the file holds parameters or values but no pipeline objects",
                location=self.source.location(root.start),
            )
            return [self._cli(root)]
        if root.get("Resources") is not None or root.get("AWSTemplateFormatVersion") is not None:
            self.sink.error(
                "unknown-format",
                "CloudFormation template without an AWS::DataPipeline::Pipeline resource",
                location=self.source.location(root.start),
            )
            return []
        self.sink.error(
            "missing-objects",
            'Missing "objects" key: expected "objects" (CLI format) or "pipelineObjects" '
            "(API format)",
            location=self.source.location(root.start),
        )
        return []

    def _fragment(self, items: list[Node], start: int) -> RawDefinition:
        self.sink.warning(
            "fragment",
            'pipeline objects without the {"objects": [...]} wrapper; read as a partial definition',
            location=self.source.location(start),
        )
        objects = tuple(o for o in (self._cli_object(n) for n in items) if o is not None)
        return RawDefinition(objects, source_format="fragment", file=self.name, source=self.source)

    # -- CLI file format -------------------------------------------------------------------
    def _cli(self, root: Node) -> RawDefinition:
        objects: list[RawObject] = []
        node = root.get("objects")
        if node is not None:
            if not node.is_array:
                self._shape_error(node, "'objects' must be a list of objects")
            else:
                objects = [o for o in map(self._cli_object, node.items) if o is not None]
        api_shaped = (
            node is not None
            and node.is_array
            and any(
                o.is_object and (o.get("fields") is not None or o.get("slots") is not None)
                for o in node.items
            )
        )
        if api_shaped:
            # Objects written in the API shape: read parameters and values in that shape too.
            api_parameters = self.api_parameters(root.get("parameters"), "attributes")
            api_values = self.api_values(root.get("parameterValues"))
            return RawDefinition(
                tuple(objects), api_parameters, api_values, "api", self.name, source=self.source
            )
        parameters: list[RawParameter] = []
        params = root.get("parameters")
        if params is not None:
            if not params.is_array:
                self._shape_error(params, "'parameters' must be a list of objects")
            else:
                parameters = [p for p in map(self._cli_parameter, params.items) if p is not None]
        values = self._cli_values(root.get("values"))
        if root.get("parameterValues") is not None and root.get("values") is None:
            self.sink.warning(
                "ignored-key",
                "'parameterValues' is ignored in the CLI file format; the AWS CLI reads "
                "parameter values from 'values'",
                location=self.source.location(root.get("parameterValues").start),  # type: ignore[union-attr]
            )
        return RawDefinition(
            tuple(objects), tuple(parameters), values, "cli", self.name, source=self.source
        )

    def _shape_error(self, node: Node, message: str, object_id: str | None = None) -> None:
        self.sink.error(
            "invalid-structure",
            message,
            object_id=object_id,
            location=self.source.location(node.start),
        )

    def _cli_object(self, node: Node) -> RawObject | None:
        if not node.is_object:
            self._shape_error(node, "each pipeline object must be a JSON object")
            return None
        if node.get("fields") is not None or node.get("slots") is not None:
            return self.api_object(node, inside_cli=True)
        id_node = node.get("id")
        if id_node is None or not id_node.is_string:
            self.sink.error(
                "missing-id",
                'Missing "id" key of a pipeline object',
                location=self.source.location(node.start),
            )
            return None
        object_id = id_node.text
        name_node = node.get("name")
        name = name_node.text if name_node is not None and name_node.is_string else None
        fields: list[RawField] = []
        seen: dict[str, int] = {}
        for pair in node.pairs:
            if pair.key in ("id", "name"):
                continue
            values = self._cli_values_of(pair.value, object_id, pair.key)
            if values is None:
                continue
            location = self.source.location(pair.key_start)
            if pair.key in seen:
                # Older guide editions repeat a key for each value of a multi-valued field.
                self.sink.warning(
                    "duplicate-key",
                    f"field {pair.key!r} appears more than once; its values are combined in "
                    "order (standard JSON readers, the AWS CLI among them, keep only the last)",
                    object_id=object_id,
                    field=pair.key,
                    location=location,
                )
                index = seen[pair.key]
                earlier = fields[index]
                fields[index] = RawField(
                    pair.key, earlier.values + values, earlier.location, written_as_list=True
                )
                continue
            seen[pair.key] = len(fields)
            fields.append(RawField(pair.key, values, location, pair.value.is_array))
        return RawObject(object_id, name, tuple(fields), self.source.location(id_node.start))

    def _cli_values_of(self, node: Node, object_id: str, key: str) -> tuple[RawValue, ...] | None:
        items = node.items if node.is_array else (node,)
        values: list[RawValue] = []
        for item in items:
            value = self._cli_value(item, object_id, key)
            if value is not None:
                values.append(value)
        if node.is_array and not node.items:
            self.sink.warning(
                "empty-list",
                "an empty list gives no values: the field is treated as not set",
                object_id=object_id,
                field=key,
                location=self.source.location(node.start),
            )
            return None
        return tuple(values) if values else None

    def _cli_value(self, node: Node, object_id: str | None, key: str) -> RawValue | None:
        location = self.source.location(node.start)
        if node.is_string and node.tag is None:
            return RawValue(text=node.text, location=location, node=node)
        if node.is_object and node.keys() == ["ref"]:
            ref = node.get("ref")
            if ref is not None and ref.is_string:
                return RawValue(ref=ref.text, location=location, node=ref)
        if node.kind in ("number", "true", "false"):
            self.sink.warning(
                "non-string-value",
                f"value {node.text} is not a JSON string; Data Pipeline values are strings, "
                f'so it is read as "{node.text}"',
                object_id=object_id,
                field=key,
                location=location,
            )
            return RawValue(text=node.text, location=location, node=node)
        self.sink.error(
            "invalid-value",
            'a field value must be a string, a {"ref": "<id>"} object or a list of them',
            object_id=object_id,
            field=key,
            location=location,
        )
        return None

    def _cli_parameter(self, node: Node) -> RawParameter | None:
        if not node.is_object:
            self._shape_error(node, "each parameter must be a JSON object")
            return None
        id_node = node.get("id")
        if id_node is None or not id_node.is_string:
            self.sink.error(
                "missing-id",
                'Missing "id" key of a parameter',
                location=self.source.location(node.start),
            )
            return None
        attributes: list[RawField] = []
        for pair in node.pairs:
            if pair.key == "id":
                continue
            values = self._cli_values_of(pair.value, id_node.text, pair.key)
            if values is not None:
                attributes.append(
                    RawField(
                        pair.key, values, self.source.location(pair.key_start), pair.value.is_array
                    )
                )
        return RawParameter(id_node.text, tuple(attributes), self.source.location(id_node.start))

    def _cli_values(self, node: Node | None) -> tuple[RawField, ...]:
        if node is None:
            return ()
        if not node.is_object:
            self._shape_error(node, "'values' must be an object of parameter id to value")
            return ()
        out = []
        for pair in node.pairs:
            values = self._cli_values_of(pair.value, pair.key, "value")
            if values is not None:
                out.append(
                    RawField(
                        pair.key, values, self.source.location(pair.key_start), pair.value.is_array
                    )
                )
        return tuple(out)

    # -- API format --------------------------------------------------------------------------
    def _api(self, root: Node) -> RawDefinition:
        objects_node = root.get("pipelineObjects")
        objects: list[RawObject] = []
        if objects_node is not None and objects_node.is_array:
            objects = [o for o in map(self.api_object, objects_node.items) if o is not None]
        elif objects_node is not None:
            self._shape_error(objects_node, "'pipelineObjects' must be a list")
        parameters = self.api_parameters(root.get("parameterObjects"), "attributes")
        values = self.api_values(root.get("parameterValues"))
        return RawDefinition(
            tuple(objects), parameters, values, "api", self.name, source=self.source
        )

    def api_object(
        self, node: Node, inside_cli: bool = False, keys: ApiKeys | None = None
    ) -> RawObject | None:
        k = keys or API_KEYS
        if not node.is_object:
            self._shape_error(node, "each pipeline object must be a JSON object")
            return None
        id_node = node.get(k.id)
        if id_node is None or not id_node.is_string:
            self.sink.error(
                "missing-id",
                f"pipeline object without {k.id!r}",
                location=self.source.location(node.start),
            )
            return None
        object_id = id_node.text
        name_node = node.get(k.name)
        name = name_node.text if name_node is not None and name_node.is_string else None
        if name is None and not inside_cli:
            self.sink.warning(
                "missing-name",
                f"{k.name!r} is required at the API; the id is used",
                object_id=object_id,
                location=self.source.location(node.start),
            )
        fields_node = node.get(k.fields)
        if fields_node is None and k.fields == "fields" and node.get("slots") is not None:
            fields_node = node.get("slots")
            self.sink.warning(
                "legacy-slots",
                "'slots' is the older spelling of 'fields'",
                object_id=object_id,
                location=self.source.location(fields_node.start),  # type: ignore[union-attr]
            )
        if inside_cli:
            self.sink.warning(
                "api-object-in-cli",
                "API-shaped object (with 'fields') inside 'objects'; read as the API format",
                object_id=object_id,
                location=self.source.location(node.start),
            )
        fields = self._api_fields(fields_node, object_id, k) if fields_node is not None else ()
        return RawObject(object_id, name, fields, self.source.location(id_node.start))

    def _api_fields(self, node: Node, object_id: str, k: ApiKeys) -> tuple[RawField, ...]:
        if not node.is_array:
            self._shape_error(node, f"{k.fields!r} must be a list", object_id)
            return ()
        merged: dict[str, RawField] = {}
        for item in node.items:
            parsed = self._api_field(item, object_id, k)
            if parsed is None:
                continue
            key, value, location = parsed
            if key in merged:
                earlier = merged[key]
                merged[key] = RawField(key, (*earlier.values, value), earlier.location, True)
            else:
                merged[key] = RawField(key, (value,), location)
        return tuple(merged.values())

    def _api_field(
        self, item: Node, object_id: str, k: ApiKeys
    ) -> tuple[str, RawValue, Location] | None:
        if not item.is_object:
            self._shape_error(item, "each field must be an object", object_id)
            return None
        key_node = item.get(k.key)
        if key_node is None or not key_node.is_string:
            self._shape_error(item, f"field without {k.key!r}", object_id)
            return None
        key = key_node.text
        string, ref = item.get(k.string), item.get(k.ref)
        location = self.source.location(key_node.start)
        if (string is None) == (ref is None):
            self.sink.error(
                "invalid-structure",
                f"a field needs exactly one of {k.string!r} and {k.ref!r}",
                object_id=object_id,
                field=key,
                location=location,
            )
            return None
        chosen = string if string is not None else ref
        assert chosen is not None
        value = self._api_scalar(chosen, object_id, key, as_ref=ref is not None)
        if value is None:
            return None
        return key, value, location

    def _api_scalar(self, node: Node, object_id: str, key: str, as_ref: bool) -> RawValue | None:
        location = self.source.location(node.start)
        resolved = self.scalar_text(node, object_id, key)
        if resolved is None:
            return None
        if as_ref:
            return RawValue(ref=resolved, location=location, node=node)
        return RawValue(text=resolved, location=location, node=node)

    def scalar_text(self, node: Node, object_id: str | None, key: str) -> str | None:
        """The text of a string-valued node, intrinsic functions resolved in CloudFormation."""
        if self.intrinsics is not None:
            return self.intrinsics(node, object_id, key)
        if node.is_string and node.tag is None:
            return node.text
        if node.kind in ("number", "true", "false"):
            return node.text
        self.sink.error(
            "invalid-value",
            "expected a string",
            object_id=object_id,
            field=key,
            location=self.source.location(node.start),
        )
        return None

    def api_parameters(
        self, node: Node | None, attributes_key: str, k: ApiKeys | None = None
    ) -> tuple[RawParameter, ...]:
        k = k or API_KEYS
        if node is None:
            return ()
        if not node.is_array:
            self._shape_error(node, "parameter objects must be a list")
            return ()
        out = []
        for item in node.items:
            id_node = item.get(k.id) if item.is_object else None
            if id_node is None or not id_node.is_string:
                self.sink.error(
                    "missing-id",
                    "parameter object without an id",
                    location=self.source.location(item.start),
                )
                continue
            attrs_node = item.get(attributes_key)
            attrs = self._api_fields(attrs_node, id_node.text, k) if attrs_node is not None else ()
            out.append(RawParameter(id_node.text, attrs, self.source.location(id_node.start)))
        return tuple(out)

    def api_values(self, node: Node | None, k: ApiKeys | None = None) -> tuple[RawField, ...]:
        k = k or API_KEYS
        if node is None:
            return ()
        if not node.is_array:
            self._shape_error(node, "parameter values must be a list")
            return ()
        merged: dict[str, RawField] = {}
        for item in node.items:
            id_node = item.get(k.id) if item.is_object else None
            value_node = item.get(k.string) if item.is_object else None
            if id_node is None or value_node is None:
                self._shape_error(item, f"a parameter value needs {k.id!r} and {k.string!r}")
                continue
            text = self.scalar_text(value_node, id_node.text, "value")
            if text is None:
                continue
            value = RawValue(
                text=text, location=self.source.location(value_node.start), node=value_node
            )
            key = id_node.text
            if key in merged:
                earlier = merged[key]
                merged[key] = RawField(key, (*earlier.values, value), earlier.location, True)
            else:
                merged[key] = RawField(key, (value,), self.source.location(id_node.start))
        return tuple(merged.values())


def _cloudformation_pipelines(root: Node) -> Iterator[tuple[str, Node]]:
    """(logical id, resource) for every AWS::DataPipeline::Pipeline in a template or snippet."""
    candidates: list[tuple[str, Node]] = []
    resources = root.get("Resources")
    if resources is not None and resources.is_object:
        candidates.extend((p.key, p.value) for p in resources.pairs)
    candidates.extend((p.key, p.value) for p in root.pairs)
    candidates.append(("Pipeline", root))
    seen: set[int] = set()
    for logical_id, node in candidates:
        if node.is_object and id(node) not in seen:
            type_node = node.get("Type")
            if type_node is not None and type_node.text == "AWS::DataPipeline::Pipeline":
                seen.add(id(node))
                yield logical_id, node

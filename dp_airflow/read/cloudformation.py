"""CloudFormation ``AWS::DataPipeline::Pipeline`` resources, one pipeline per resource.

Intrinsic functions are resolved where a template alone decides the value (``Ref`` or ``Fn::Sub``
of a template parameter that has a ``Default``, ``Fn::Join`` of resolved parts); anything else
(pseudo parameters, ``Fn::ImportValue``, ``Fn::GetAtt``) stays as a ``${...}`` placeholder with a
warning naming the field, since only a deployed stack knows it.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from dp_airflow.read.api_shape import CFN_KEYS
from dp_airflow.read.raw import RawDefinition
from dp_airflow.read.source import Node

if TYPE_CHECKING:
    from dp_airflow.read.api_shape import ApiReader

_SUB_VARIABLE = re.compile(r"\$\{(!?)([^}]*)\}")


def read_cloudformation(
    reader: ApiReader, root: Node, pipelines: list[tuple[str, Node]]
) -> list[RawDefinition]:
    """The definitions of a template's AWS::DataPipeline::Pipeline resources."""
    defaults = _template_defaults(root)
    resolver = _IntrinsicResolver(reader, defaults)
    reader.intrinsics = resolver.scalar_text
    try:
        return [
            _read_pipeline(reader, logical_id, node, len(pipelines) > 1, defaults)
            for logical_id, node in pipelines
        ]
    finally:
        reader.intrinsics = None


def _template_defaults(root: Node) -> dict[str, str]:
    parameters = root.get("Parameters")
    out: dict[str, str] = {}
    if parameters is not None and parameters.is_object:
        for pair in parameters.pairs:
            default = pair.value.get("Default") if pair.value.is_object else None
            if default is not None and default.is_string and default.tag is None:
                out[pair.key] = default.text
    return out


def _read_pipeline(
    reader: ApiReader, logical_id: str, node: Node, several: bool, defaults: dict[str, str]
) -> RawDefinition:
    properties = node.get("Properties")
    if properties is None or not properties.is_object:
        reader.sink.error(
            "invalid-structure",
            f"pipeline resource {logical_id!r} has no Properties",
            location=reader.source.location(node.start),
        )
        return RawDefinition(
            (),
            source_format="cloudformation",
            file=reader.name,
            pipeline_name=logical_id,
            source=reader.source,
        )
    objects_node = properties.get("PipelineObjects")
    objects = []
    if objects_node is not None and objects_node.is_array:
        for item in objects_node.items:
            obj = reader.api_object(item, keys=CFN_KEYS)
            if obj is not None:
                objects.append(obj)
    else:
        reader.sink.error(
            "missing-objects",
            f"pipeline resource {logical_id!r} has no PipelineObjects list",
            location=reader.source.location(properties.start),
        )
    parameters = reader.api_parameters(properties.get("ParameterObjects"), "Attributes", CFN_KEYS)
    # A value only a deployed stack knows (`!Ref` of a template parameter without a Default) is
    # dropped, so the parameter's own default applies; the resolver has already warned.
    values = tuple(
        v
        for v in reader.api_values(properties.get("ParameterValues"), CFN_KEYS)
        if not any(_is_unresolved(value.node, defaults) for value in v.values)
    )
    return RawDefinition(
        tuple(objects),
        parameters,
        values,
        "cloudformation",
        reader.name,
        pipeline_name=logical_id if several else None,
        source=reader.source,
        tags=_tags(reader, properties.get("PipelineTags")),
    )


def _tags(reader: ApiReader, node: Node | None) -> tuple[tuple[str, str], ...]:
    """``PipelineTags: [{Key, Value}]``, intrinsics resolved where the template decides them."""
    if node is None or not node.is_array:
        return ()
    out = []
    for item in node.items:
        key_node = item.get("Key") if item.is_object else None
        value_node = item.get("Value") if item.is_object else None
        if key_node is None or value_node is None:
            continue
        key = reader.scalar_text(key_node, None, "PipelineTags")
        value = reader.scalar_text(value_node, None, "PipelineTags")
        if key is not None and value is not None:
            out.append((key, value))
    return tuple(out)


class _IntrinsicResolver:
    def __init__(self, reader: ApiReader, defaults: dict[str, str]) -> None:
        self.reader = reader
        self.defaults = defaults

    def scalar_text(self, node: Node, object_id: str | None, key: str) -> str | None:
        unresolved: list[str] = []
        text = self._resolve(node, unresolved)
        if text is None:
            self.reader.sink.error(
                "invalid-value",
                "expected a string",
                object_id=object_id,
                field=key,
                location=self.reader.source.location(node.start),
            )
            return None
        if unresolved:
            self.reader.sink.warning(
                "cfn-intrinsic",
                f"CloudFormation {', '.join(unresolved)} cannot be resolved outside a deployed "
                f"stack; kept as {text!r}",
                object_id=object_id,
                field=key,
                location=self.reader.source.location(node.start),
            )
        return text

    def _resolve(self, node: Node, unresolved: list[str]) -> str | None:
        function, argument = _intrinsic(node)
        if function is None:
            if node.kind in ("string", "number", "true", "false"):
                return node.text
            return None
        assert argument is not None
        if function == "Ref":
            name = argument.text if argument.is_string else ""
            if name in self.defaults:
                return self.defaults[name]
            unresolved.append(f"Ref {name}")
            return "${" + name + "}"
        if function == "Fn::Sub":
            return self._sub(argument, unresolved)
        if function == "Fn::Join" and argument.is_array and len(argument.items) == 2:
            separator, parts = argument.items
            if parts.is_array:
                texts = [self._resolve(p, unresolved) for p in parts.items]
                if all(t is not None for t in texts):
                    return separator.text.join(t for t in texts if t is not None)
        unresolved.append(function)
        return "${" + function + "}"

    def _sub(self, argument: Node, unresolved: list[str]) -> str:
        variables: dict[str, str] = dict(self.defaults)
        template = argument
        if argument.is_array and argument.items:
            template = argument.items[0]
            if len(argument.items) > 1 and argument.items[1].is_object:
                for pair in argument.items[1].pairs:
                    value = self._resolve(pair.value, unresolved)
                    if value is not None:
                        variables[pair.key] = value

        def replace(match: re.Match[str]) -> str:
            if match.group(1):
                return "${" + match.group(2) + "}"
            name = match.group(2)
            if name in variables:
                return variables[name]
            unresolved.append(f"Fn::Sub ${{{name}}}")
            return match.group(0)

        return _SUB_VARIABLE.sub(replace, template.text)


def _is_unresolved(node: Node | None, defaults: dict[str, str]) -> bool:
    if node is None:
        return False
    function, argument = _intrinsic(node)
    if function is None or argument is None:
        return False
    return not (function == "Ref" and argument.text in defaults)


def _intrinsic(node: Node) -> tuple[str | None, Node | None]:
    """(function name, argument) when ``node`` is an intrinsic, long or short form."""
    if node.tag is not None:
        name = node.tag[1:]
        function = name if name == "Ref" else f"Fn::{name}"
        return function, node
    if node.is_object and len(node.pairs) == 1:
        key = node.pairs[0].key
        if key == "Ref" or key.startswith("Fn::"):
            return key, node.pairs[0].value
    return None, None

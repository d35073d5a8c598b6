"""YAML (CloudFormation templates) read into the same positioned ``Node`` tree as JSON.

Only PyYAML's composer is used: it keeps marks and tags and constructs no Python objects, so
short-form intrinsic tags (``!Ref``, ``!Sub``) need no registration and nothing is executed.
"""

from __future__ import annotations

from dp_airflow.read.source import JsonSyntaxError, Node, Pair


def parse_yaml(text: str) -> Node:
    """A YAML document as nodes that keep their line and column."""
    import yaml

    loader_class = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        root = yaml.compose(text, Loader=loader_class)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        offset = mark.index if mark is not None else 0
        raise JsonSyntaxError(f"YAML: {exc.problem or exc.context}", offset) from None
    except yaml.YAMLError as exc:
        raise JsonSyntaxError(f"YAML: {exc}", 0) from None
    if root is None:
        raise JsonSyntaxError("the file is empty", 0)
    return _convert(root)


def _tag(raw: str) -> str | None:
    return raw if raw.startswith("!") and not raw.startswith("!!") else None


def _convert(node: object) -> Node:
    import yaml

    assert isinstance(node, yaml.Node)  # composer output only; not user input
    start, end = node.start_mark.index, node.end_mark.index
    tag = _tag(node.tag)
    if isinstance(node, yaml.MappingNode):
        pairs = []
        for key, value in node.value:
            key_text = key.value if isinstance(key, yaml.ScalarNode) else str(key.value)
            pairs.append(Pair(key_text, key.start_mark.index, _convert(value)))
        return Node("object", start, end, pairs=tuple(pairs), tag=tag)
    if isinstance(node, yaml.SequenceNode):
        return Node("array", start, end, items=tuple(_convert(v) for v in node.value), tag=tag)
    value = node.value if isinstance(node.value, str) else str(node.value)
    return Node("string", start, end, value, tag=tag)

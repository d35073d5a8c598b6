"""A field value split into literal text and ``#{...}`` expressions, compiled once.

Everything outside ``#{...}`` is kept byte for byte: ``${...}``, ``$1``, ``{{ }}`` and ``%`` are
not ours. Inside, quotes may hold ``}``. There is no escape for a literal ``#{`` (none is
documented).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from dp_airflow.expressions.ast import Node
from dp_airflow.expressions.errors import ExpressionAtError, ExpressionSyntaxError
from dp_airflow.expressions.parser import parse

MAX_VALUE_LENGTH = 65_536


@dataclass(frozen=True, slots=True)
class Text:
    """Literal text of a field value, outside ``#{...}``."""

    text: str


@dataclass(frozen=True, slots=True)
class Expr:
    """One ``#{...}`` of a field value: its parsed tree and its span."""

    node: Node
    start: int
    """Offset of ``#{`` in the value."""
    end: int


Part = Text | Expr


@dataclass(frozen=True, slots=True)
class Template:
    """A field value as literal text and expressions, parsed once."""

    source: str
    parts: tuple[Part, ...]

    @property
    def expressions(self) -> tuple[Expr, ...]:
        return tuple(p for p in self.parts if isinstance(p, Expr))

    @property
    def is_literal(self) -> bool:
        return not self.expressions


def _closing(value: str, start: int) -> int:
    """Offset just after the ``}`` closing the ``#{`` at ``start``; raises if there is none."""
    j, depth, quote = start + 2, 1, ""
    while j < len(value):
        ch = value[j]
        if quote:
            if ch == "\\" and j + 1 < len(value):
                j += 2
                continue
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return j + 1
        j += 1
    what = "closing quote and '}'" if quote else "closing '}'"
    raise ExpressionSyntaxError(f"unterminated expression: '#{{' has no {what}", start, 2)


@functools.lru_cache(maxsize=4096)
def compile_template(value: str) -> Template:
    """Split and parse ``value``; errors carry the offset within ``value`` and a caret."""
    if len(value) > MAX_VALUE_LENGTH:
        raise ExpressionSyntaxError(f"value longer than {MAX_VALUE_LENGTH} characters", 0, 1, value)
    parts: list[Part] = []
    position = 0
    try:
        while True:
            start = value.find("#{", position)
            if start == -1:
                break
            if start > position:
                parts.append(Text(value[position:start]))
            end = _closing(value, start)
            node = parse(value[start + 2 : end - 1], start + 2)
            parts.append(Expr(node, start, end))
            position = end
    except ExpressionAtError as exc:
        raise exc.located(value) from None
    if position < len(value):
        parts.append(Text(value[position:]))
    return Template(value, tuple(parts))

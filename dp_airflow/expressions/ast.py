"""The expression tree: frozen nodes, each with the span of source text it came from."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Span:
    """``start``/``end`` offsets into the field value the expression was written in."""

    start: int
    end: int

    @property
    def width(self) -> int:
        return max(1, self.end - self.start)


@dataclass(frozen=True, slots=True)
class Literal:
    """A literal value (text, integer, number, boolean)."""

    value: int | float | str
    span: Span


@dataclass(frozen=True, slots=True)
class Reference:
    """``a.b.@c``: a field, runtime field or parameter, possibly through reference fields."""

    path: tuple[str, ...]
    span: Span
    segment_spans: tuple[Span, ...]


@dataclass(frozen=True, slots=True)
class Call:
    """``f(a, b)``; the method style ``a.f(b)`` parses to the same node."""

    name: str
    args: tuple[Node, ...]
    span: Span
    name_span: Span


@dataclass(frozen=True, slots=True)
class Binary:
    """An arithmetic or comparison of two operands."""

    op: str
    left: Node
    right: Node
    span: Span
    op_span: Span


@dataclass(frozen=True, slots=True)
class Negate:
    """A unary minus."""

    operand: Node
    span: Span


Node = Literal | Reference | Call | Binary | Negate

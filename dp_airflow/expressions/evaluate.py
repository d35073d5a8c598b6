"""Evaluate compiled expressions against a scope. No Python ``eval``: a visitor over the tree,
and for whole field values (``render``) closures built once per distinct value.

Lists (multi-valued fields, array parameters) map element-wise through operators and functions,
and a field value holding one list-valued expression becomes one value per element. Results are
bounded (text length, list length, integer size) so no definition can exhaust a worker.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from dp_airflow.diagnostics import did_you_mean
from dp_airflow.expressions.ast import Binary, Call, Literal, Negate, Node, Reference, Span
from dp_airflow.expressions.errors import ExpressionAtError, ExpressionEvalError
from dp_airflow.expressions.functions import (
    ANY,
    DATETIME,
    DOUBLE,
    FUNCTIONS,
    INTEGER,
    STRING,
    FunctionFailure,
)
from dp_airflow.expressions.joda import PatternError, compile_format
from dp_airflow.expressions.template import Expr, Template, Text, compile_template
from dp_airflow.expressions.values import Scalar, Value, a, to_text, type_name

MAX_TEXT = 1_000_000
MAX_LIST = 10_000
MAX_INTEGER = 2**63 - 1


class Scope(Protocol):
    """Where references are looked up: the object (instance) an expression is evaluated for."""

    def lookup(self, reference: Reference) -> Value:
        """The value of ``reference``; raises ExpressionEvalError naming the missing part."""
        ...


def evaluate(node: Node, scope: Scope) -> Value:
    """The value of an expression tree in ``scope``."""
    return _Evaluator(scope).visit(node)


def render(value: str | Template, scope: Scope) -> tuple[str, ...] | str:
    """A whole field value evaluated: a string, or one string per element for a list."""
    return program_of(value if isinstance(value, str) else value.source)(scope)


Program = Callable[[Scope], Value]


@functools.lru_cache(maxsize=4096)
def program_of(source: str) -> Callable[[Scope], tuple[str, ...] | str]:
    """``render`` for one field value, compiled once: each expression a closure, functions and
    their arity resolved ahead. A value whose expressions give a list takes the general path."""
    template = compile_template(source)
    if template.is_literal:
        return lambda scope: source
    steps = [
        (part.text, None) if isinstance(part, Text) else ("", _compiled(part.node))
        for part in template.parts
    ]

    def run(scope: Scope) -> tuple[str, ...] | str:
        pieces: list[str] = []
        for text, program in steps:
            if program is None:
                pieces.append(text)
                continue
            try:
                result = program(scope)
            except ExpressionAtError as exc:
                raise exc.located(source) from None
            if isinstance(result, tuple):
                return _render_lists(template, scope)
            pieces.append(result if isinstance(result, str) else to_text(result))
        out = "".join(pieces)
        _check_size(out, source)
        return out

    return run


def _compiled(node: Node) -> Program:
    """A closure evaluating ``node`` as ``_Evaluator.visit`` would, with the same errors."""
    if isinstance(node, Literal):
        value = node.value
        return lambda scope: value
    if isinstance(node, Reference):
        return lambda scope: scope.lookup(node)
    if isinstance(node, Call):
        function = FUNCTIONS.get(node.name)
        if function is not None and len(node.args) == len(function.params):
            if node.name == "format" and (fast := _compiled_format(node)) is not None:
                return fast
            arguments = [_compiled(a) for a in node.args]
            params, impl = function.params, function.impl

            def call(scope: Scope) -> Value:
                args = [argument(scope) for argument in arguments]
                return _call_with(node, params, impl, args)

            return call
    return lambda scope: _Evaluator(scope).visit(node)


def _compiled_format(node: Call) -> Program | None:
    """``format(x, 'literal pattern')`` with the pattern's printers resolved once; anything but
    a datetime for ``x`` takes the general path (lists, coercion, its errors)."""
    pattern = node.args[1]
    if not (isinstance(pattern, Literal) and isinstance(pattern.value, str)):
        return None
    try:
        print_pattern = compile_format(pattern.value)
    except PatternError:
        return None  # the general path reports it, pointing into the pattern
    value_of = _compiled(node.args[0])
    function = FUNCTIONS["format"]
    text = pattern.value

    def run(scope: Scope) -> Value:
        value = value_of(scope)
        if isinstance(value, datetime):
            return print_pattern(value)
        return _call_with(node, function.params, function.impl, [value, text])

    return run


def _render_lists(template: Template, scope: Scope) -> tuple[str, ...] | str:
    """The general path: one list-valued expression maps the value over its elements."""
    evaluator = _Evaluator(scope)
    pieces: list[str | tuple[str, ...]] = []
    list_seen: Expr | None = None
    for part in template.parts:
        if isinstance(part, Text):
            pieces.append(part.text)
            continue
        try:
            result = evaluator.visit(part.node)
        except ExpressionAtError as exc:
            raise exc.located(template.source) from None
        if isinstance(result, tuple):
            if list_seen is not None:
                raise ExpressionEvalError(
                    "two list values in one field value; Data Pipeline maps one list at a time",
                    part.start,
                    part.end - part.start,
                    template.source,
                )
            list_seen = part
            pieces.append(tuple(to_text(v) for v in result))
        else:
            pieces.append(to_text(result))
    if list_seen is None:
        text = "".join(p for p in pieces if isinstance(p, str))
        _check_size(text, template.source)
        return text
    elements = next(p for p in pieces if isinstance(p, tuple))
    prefix_parts: list[str] = []
    suffix_parts: list[str] = []
    target = prefix_parts
    for piece in pieces:
        if isinstance(piece, tuple):
            target = suffix_parts
        else:
            target.append(piece)
    prefix, suffix = "".join(prefix_parts), "".join(suffix_parts)
    return tuple(prefix + element + suffix for element in elements)


def render_values(values: tuple[str, ...], scope: Scope) -> tuple[str, ...]:
    """A multi-valued field: every value rendered, lists flattened in order."""
    out: list[str] = []
    for value in values:
        rendered = render(value, scope)
        out.extend(rendered if isinstance(rendered, tuple) else (rendered,))
    return tuple(out)


def _check_size(text: str, source: str) -> None:
    if len(text) > MAX_TEXT:
        raise ExpressionEvalError(f"result longer than {MAX_TEXT} characters", 0, 2, source)


class _Evaluator:
    def __init__(self, scope: Scope) -> None:
        self.scope = scope

    def visit(self, node: Node) -> Value:
        if isinstance(node, Literal):
            return node.value
        if isinstance(node, Reference):
            return self.scope.lookup(node)
        if isinstance(node, Call):
            return self._call(node)
        if isinstance(node, Binary):
            return self._binary(node)
        assert isinstance(node, Negate)
        return _map1(lambda v: _negate(v, node.span), self.visit(node.operand))

    def _call(self, node: Call) -> Value:
        function = FUNCTIONS.get(node.name)
        if function is None:
            raise ExpressionEvalError(
                f"unknown function {node.name!r}" + did_you_mean(node.name, list(FUNCTIONS)),
                node.name_span.start,
                node.name_span.width,
            )
        if len(node.args) != len(function.params):
            raise ExpressionEvalError(
                f"{node.name}() takes {len(function.params)} argument(s), {len(node.args)} given",
                node.span.start,
                node.span.width,
            )
        args = [self.visit(a) for a in node.args]
        return _call_with(node, function.params, function.impl, args)

    def _binary(self, node: Binary) -> Value:
        left, right = self.visit(node.left), self.visit(node.right)
        if isinstance(left, tuple) or isinstance(right, tuple):
            if isinstance(left, tuple) and isinstance(right, tuple):
                raise ExpressionEvalError(
                    "an operator cannot combine two lists", node.op_span.start
                )
            if isinstance(left, tuple):
                return _bounded_list(tuple(_operate(node, v, right) for v in left), node.span)
            assert isinstance(right, tuple)
            return _bounded_list(tuple(_operate(node, left, v) for v in right), node.span)
        return _operate(node, left, right)


def _call_with(
    node: Call, params: tuple[str, ...], impl: Callable[..., Scalar], args: list[Value]
) -> Value:
    """A function applied to evaluated arguments, mapped over the one list among them."""
    for index, items in enumerate(args):
        if isinstance(items, tuple):
            return _bounded_list(
                tuple(
                    _apply(node, params, impl, [*args[:index], item, *args[index + 1 :]])
                    for item in items
                ),
                node.span,
            )
    return _apply(node, params, impl, args)


def _apply(
    node: Call, params: tuple[str, ...], impl: Callable[..., Scalar], args: list[Value]
) -> Scalar:
    converted = [
        _coerce(arg, kind, node.name, index, node.args[index].span)
        for index, (arg, kind) in enumerate(zip(args, params, strict=True))
    ]
    try:
        result: Scalar = impl(*converted)
    except FunctionFailure as exc:
        raise _located_failure(node, exc) from None
    return result


def _located_failure(node: Call, failure: FunctionFailure) -> ExpressionEvalError:
    """Point at the argument at fault; inside a literal pattern, at the offending letters."""
    if failure.argument is None:
        return ExpressionEvalError(failure.message, node.span.start, node.span.width)
    argument = node.args[failure.argument]
    if (isinstance(argument, Literal) and failure.width > 1) or failure.inner_offset:
        start = argument.span.start + 1 + failure.inner_offset
        return ExpressionEvalError(failure.message, start, failure.width)
    return ExpressionEvalError(failure.message, argument.span.start, argument.span.width)


def _map1(function: Callable[[Value], Scalar], value: Value) -> Value:
    if isinstance(value, tuple):
        return tuple(function(v) for v in value)
    return function(value)


def _bounded_list(values: tuple[Scalar, ...], span: Span) -> tuple[Scalar, ...]:
    if len(values) > MAX_LIST:
        raise ExpressionEvalError(f"list longer than {MAX_LIST} values", span.start, span.width)
    return values


def _is_integer_text(text: str) -> bool:
    """An optional sign and ASCII digits (what ``int`` takes; ``str.isdigit`` also takes "²")."""
    digits = text[1:] if text[:1] in ("+", "-") else text
    return digits.isascii() and digits.isdigit()


def _is_number(value: Value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _negate(value: Value, span: Span) -> Scalar:
    if not _is_number(value):
        raise ExpressionEvalError(f"'-' needs a number, not {a(type_name(value))}", span.start)
    assert isinstance(value, (int, float))
    return -value


def _operate(node: Binary, left: Value, right: Value) -> Scalar:
    op = node.op
    if op == "+" and (isinstance(left, str) or isinstance(right, str)):
        assert not isinstance(left, tuple) and not isinstance(right, tuple)
        text = to_text(left) + to_text(right)
        if len(text) > MAX_TEXT:
            raise ExpressionEvalError(
                f"result longer than {MAX_TEXT} characters", node.op_span.start
            )
        return text
    if not (_is_number(left) and _is_number(right)):
        raise ExpressionEvalError(
            f"'{op}' cannot combine {a(type_name(left))} and {a(type_name(right))}",
            node.op_span.start,
        )
    assert isinstance(left, (int, float)) and isinstance(right, (int, float))
    try:
        result = _arithmetic(op, left, right)
    except ZeroDivisionError:
        raise ExpressionEvalError("division by zero", node.op_span.start) from None
    except OverflowError:
        raise ExpressionEvalError("number too large", node.op_span.start) from None
    if isinstance(result, int) and abs(result) > MAX_INTEGER:
        raise ExpressionEvalError("integer overflow", node.op_span.start)
    return result


def _arithmetic(op: str, left: int | float, right: int | float) -> int | float:
    both_int = isinstance(left, int) and isinstance(right, int)
    if op == "+":
        return left + right
    if op == "-":
        return left - right
    if op == "*":
        return left * right
    if op == "/":
        if both_int:
            if right == 0:
                raise ZeroDivisionError
            quotient = abs(left) // abs(right)  # Java truncates toward zero
            return quotient if (left >= 0) == (right >= 0) else -quotient
        if right == 0:
            return math.copysign(math.inf, left) * math.copysign(1, right) if left else math.nan
        return left / right
    if abs(right) > 10_000 and abs(left) > 1:
        raise OverflowError
    return math.pow(float(left), float(right))


def _coerce(value: Value, kind: str, function: str, index: int, span: Span) -> Scalar:
    assert not isinstance(value, tuple)
    if kind == ANY:
        return value
    if kind == DATETIME:
        if isinstance(value, datetime):
            return value
        if isinstance(value, str):
            from dp_airflow.model.slots import LiteralError, parse_datetime

            try:
                return parse_datetime(value)
            except LiteralError:
                pass
    elif kind == INTEGER:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and _is_integer_text(value.strip()):
            return int(value)
    elif kind == DOUBLE:
        if _is_number(value):
            assert isinstance(value, (int, float))
            return float(value)
    elif kind == STRING and isinstance(value, str):
        return value
    raise ExpressionEvalError(
        f"argument {index + 1} of {function}() must be {a(kind)}, not {a(type_name(value))}",
        span.start,
        span.width,
    )

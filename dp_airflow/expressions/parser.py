"""Recursive-descent parser: ``+ -`` < ``* /`` < ``^`` (right-associative) < unary ``-``.

``a.b.c`` is one reference; ``a.b.f(x)`` is the method style of ``f(a.b, x)``, as in AWS's own
examples (``@scheduledStartTime.format('YYYY')``). Depth is bounded so that a hostile value
cannot exhaust the stack.
"""

from __future__ import annotations

from dp_airflow.expressions.ast import Binary, Call, Literal, Negate, Node, Reference, Span
from dp_airflow.expressions.errors import ExpressionSyntaxError
from dp_airflow.expressions.lexer import Token, tokenize

MAX_DEPTH = 64
_BINARY = {"+": 1, "-": 1, "*": 2, "/": 2}


def parse(text: str, base: int = 0) -> Node:
    """Parse the inside of one ``#{...}``; offsets are relative to ``base``."""
    parser = _Parser(list(tokenize(text, base)))
    if parser.peek().kind == "eof":
        # Point at the whole `#{}` (base is just after `#{`).
        raise ExpressionSyntaxError("empty expression '#{}'", max(0, base - 2), len(text) + 3)
    node = parser.expression(0)
    token = parser.peek()
    if token.kind != "eof":
        raise ExpressionSyntaxError(
            f"unexpected {_describe(token)} after the expression", token.start, _width(token)
        )
    return node


def _describe(token: Token) -> str:
    if token.kind == "eof":
        return "end of expression"
    if token.kind == "name":
        return f"name {token.value!r}"
    if token.kind == "string":
        return "string"
    if token.kind in ("int", "decimal"):
        return f"number {token.value}"
    return f"{token.value!r}"


def _width(token: Token) -> int:
    return max(1, token.end - token.start)


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.index = 0
        self.depth = 0

    def peek(self) -> Token:
        return self.tokens[self.index]

    def next(self) -> Token:
        token = self.tokens[self.index]
        if token.kind != "eof":
            self.index += 1
        return token

    def expect(self, kind: str, what: str) -> Token:
        token = self.peek()
        if token.kind != kind:
            raise ExpressionSyntaxError(
                f"expected {what}, found {_describe(token)}", token.start, _width(token)
            )
        return self.next()

    def expression(self, min_level: int) -> Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            token = self.peek()
            raise ExpressionSyntaxError("expression nested too deeply", token.start)
        left = self.power()
        while True:
            token = self.peek()
            level = _BINARY.get(token.kind)
            if level is None or level < min_level:
                break
            self.next()
            right = self.expression(level + 1)
            left = Binary(
                token.kind,
                left,
                right,
                Span(_start(left), _end(right)),
                Span(token.start, token.end),
            )
        self.depth -= 1
        return left

    def power(self) -> Node:
        base = self.unary()
        token = self.peek()
        if token.kind == "^":
            self.next()
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise ExpressionSyntaxError("expression nested too deeply", token.start)
            exponent = self.power()
            self.depth -= 1
            return Binary(
                "^",
                base,
                exponent,
                Span(_start(base), _end(exponent)),
                Span(token.start, token.end),
            )
        return base

    def unary(self) -> Node:
        token = self.peek()
        if token.kind == "-":
            self.next()
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise ExpressionSyntaxError("expression nested too deeply", token.start)
            operand = self.unary()
            self.depth -= 1
            return Negate(operand, Span(token.start, _end(operand)))
        return self.postfix()

    def postfix(self) -> Node:
        node = self.primary()
        while self.peek().kind == ".":
            dot = self.next()
            name = self.expect("name", "a field or function name after '.'")
            if self.peek().kind == "(":
                args = self.arguments()
                node = Call(
                    name.value,
                    (node, *args),
                    Span(_start(node), self.tokens[self.index - 1].end),
                    Span(name.start, name.end),
                )
            elif isinstance(node, Reference):
                node = Reference(
                    (*node.path, name.value),
                    Span(node.span.start, name.end),
                    (*node.segment_spans, Span(name.start, name.end)),
                )
            else:
                raise ExpressionSyntaxError(
                    "only references have fields; a call or literal does not", dot.start
                )
        return node

    def arguments(self) -> list[Node]:
        self.expect("(", "'('")
        args: list[Node] = []
        if self.peek().kind == ")":
            self.next()
            return args
        while True:
            args.append(self.expression(0))
            token = self.next()
            if token.kind == ")":
                return args
            if token.kind != ",":
                raise ExpressionSyntaxError(
                    f"expected ',' or ')', found {_describe(token)}", token.start, _width(token)
                )

    def primary(self) -> Node:
        token = self.next()
        span = Span(token.start, token.end)
        if token.kind == "int":
            return Literal(int(token.value), span)
        if token.kind == "decimal":
            return Literal(float(token.value), span)
        if token.kind == "string":
            return Literal(token.value, span)
        if token.kind == "name":
            if self.peek().kind == "(":
                args = self.arguments()
                return Call(
                    token.value,
                    tuple(args),
                    Span(token.start, self.tokens[self.index - 1].end),
                    span,
                )
            return Reference((token.value,), span, (span,))
        if token.kind == "(":
            self.depth += 1
            inner = self.expression(0)
            self.depth -= 1
            self.expect(")", "')'")
            return inner
        raise ExpressionSyntaxError(
            f"expected a value, found {_describe(token)}", token.start, _width(token)
        )


def _start(node: Node) -> int:
    return node.span.start


def _end(node: Node) -> int:
    return node.span.end

"""Tokens of the language inside ``#{...}``: names, numbers, strings, punctuation."""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

from dp_airflow.expressions.errors import ExpressionSyntaxError


class Token(NamedTuple):
    """One token of an expression, with its span."""

    kind: str
    """``name``, ``int``, ``decimal``, ``string``, one of ``. , ( ) + - * / ^``, or ``eof``."""
    value: str
    start: int
    end: int


_PUNCTUATION = frozenset(".,()+-*/^")


def _is_name_start(ch: str) -> bool:
    return ch.isalpha() or ch in "_@"


def _is_name_part(ch: str) -> bool:
    return ch.isalnum() or ch in "_"


def _is_digit(ch: str) -> bool:
    return "0" <= ch <= "9"  # not str.isdigit: "²" is a digit to it, and int() refuses it


def tokenize(text: str, base: int = 0) -> Iterator[Token]:
    """Tokens of ``text``; offsets are ``base`` plus the position in ``text``."""
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        if _is_name_start(ch) or (
            # `*myPassword`: a secret parameter or field, not multiplication.
            ch == "*" and i + 1 < n and _is_name_start(text[i + 1]) and _after_operand_gap(text, i)
        ):
            token = _name(text, i)
        elif _is_digit(ch) or (ch == "." and i + 1 < n and _is_digit(text[i + 1])):
            token = _number(text, i)
        elif ch in "'\"":
            token = _string(text, i, base)
        elif ch in _PUNCTUATION:
            token = Token(ch, ch, i, i + 1)
        else:
            raise ExpressionSyntaxError(f"unexpected character {ch!r}", base + i)
        i = token.end
        yield token._replace(start=base + token.start, end=base + token.end)
    yield Token("eof", "", base + n, base + n)


def _name(text: str, start: int) -> Token:
    i = start + 1
    while i < len(text) and _is_name_part(text[i]):
        i += 1
    return Token("name", text[start:i], start, i)


def _number(text: str, start: int) -> Token:
    i, n = start, len(text)
    while i < n and _is_digit(text[i]):
        i += 1
    kind = "decimal" if text[start] == "." else "int"
    if kind == "int" and i + 1 < n and text[i] == "." and _is_digit(text[i + 1]):
        kind = "decimal"
        i += 1
    if kind == "decimal":
        i = i + 1 if text[i : i + 1] == "." else i
        while i < n and _is_digit(text[i]):
            i += 1
    return Token(kind, text[start:i], start, i)


def _string(text: str, start: int, base: int) -> Token:
    quote, i, n = text[start], start + 1, len(text)
    chars: list[str] = []
    while i < n and text[i] != quote:
        if text[i] == "\\" and i + 1 < n and text[i + 1] in (quote, "\\"):
            i += 1
        chars.append(text[i])
        i += 1
    if i >= n:
        raise ExpressionSyntaxError("unterminated string", base + start, n - start)
    return Token("string", "".join(chars), start, i + 1)


def _after_operand_gap(text: str, index: int) -> bool:
    """A ``*`` starts a secret name unless it follows an operand (then it multiplies)."""
    j = index - 1
    while j >= 0 and text[j].isspace():
        j -= 1
    return j < 0 or text[j] in "(,+-*/^"

"""A lenient JSON reader that keeps the source offset of every key and value.

The standard library's parser gives no positions and refuses the defects real definitions carry
(trailing commas, raw newlines inside strings, several objects pasted one after another), so we
read JSON ourselves. Each tolerated defect is reported as a ``Leniency`` for a warning; anything
else raises ``JsonSyntaxError`` at the offending offset.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

from dp_airflow.diagnostics import Location


@dataclass(frozen=True, slots=True)
class Node:
    """A JSON value: ``kind`` is object, array, string, number, true, false or null."""

    kind: str
    start: int
    end: int
    text: str = ""
    """Decoded string value, or the literal text of a number."""
    items: tuple[Node, ...] = ()
    """Array elements."""
    pairs: tuple[Pair, ...] = ()
    """Object members in source order; duplicate keys are kept."""
    tag: str | None = None
    """YAML only: a CloudFormation short-form tag such as ``!Ref``."""

    def get(self, key: str) -> Node | None:
        """The last member named ``key`` (as JSON parsers do), or None."""
        for pair in reversed(self.pairs):
            if pair.key == key:
                return pair.value
        return None

    def keys(self) -> list[str]:
        return [p.key for p in self.pairs]

    @property
    def is_object(self) -> bool:
        return self.kind == "object"

    @property
    def is_array(self) -> bool:
        return self.kind == "array"

    @property
    def is_string(self) -> bool:
        return self.kind == "string"


@dataclass(frozen=True, slots=True)
class Pair:
    """One key and value of a JSON object, the key's place kept."""

    key: str
    key_start: int
    value: Node


@dataclass(frozen=True, slots=True)
class Leniency:
    """A defect we read past, to be reported as a warning."""

    message: str
    offset: int


class JsonSyntaxError(Exception):
    """Text that is not JSON, with the place it stops being so."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


@dataclass
class SourceText:
    """The text of one file with offset → line/column translation."""

    text: str
    _line_starts: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        starts = [0]
        starts.extend(i + 1 for i, ch in enumerate(self.text) if ch == "\n")
        self._line_starts = starts

    def location(self, offset: int) -> Location:
        line = bisect.bisect_right(self._line_starts, offset) - 1
        return Location(line + 1, offset - self._line_starts[line] + 1)


_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
_WHITESPACE = " \t\r\n\ufeff"
_LITERALS = {"true": "true", "false": "false", "null": "null"}


@dataclass
class JsonDocument:
    """The top-level values of a file (more than one only for pasted fragments)."""

    values: list[Node]
    leniencies: list[Leniency]


def parse_json(text: str) -> JsonDocument:
    """A JSON document as nodes that keep their line and column."""
    parser = _Parser(text)
    return parser.document()


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.leniencies: list[Leniency] = []

    # -- helpers ---------------------------------------------------------------------------
    def _skip(self) -> None:
        text, n = self.text, len(self.text)
        while self.pos < n:
            ch = text[self.pos]
            if ch in _WHITESPACE:
                self.pos += 1
            elif text.startswith("//", self.pos) or text.startswith("#", self.pos):
                self.leniencies.append(Leniency("comment in JSON", self.pos))
                end = text.find("\n", self.pos)
                self.pos = n if end == -1 else end
            elif text.startswith("/*", self.pos):
                self.leniencies.append(Leniency("comment in JSON", self.pos))
                end = text.find("*/", self.pos + 2)
                if end == -1:
                    raise JsonSyntaxError("unterminated comment", self.pos)
                self.pos = end + 2
            else:
                return

    def _peek(self) -> str:
        self._skip()
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def _expected(self, what: str) -> JsonSyntaxError:
        if self.pos >= len(self.text):
            return JsonSyntaxError(f"expected {what} but the file ends", self.pos)
        found = self.text[self.pos]
        return JsonSyntaxError(f"expected {what}, found {found!r}", self.pos)

    # -- grammar ---------------------------------------------------------------------------
    def document(self) -> JsonDocument:
        if self._peek() == '"' and self._is_bare_member():
            # A snippet such as `"MyPipeline": {...}` (object members without their braces).
            self.leniencies.append(Leniency("object members without enclosing braces", self.pos))
            values = [self._object_body(self.pos)]
        else:
            values = [self.value()]
        while self._peek() == ",":
            comma = self.pos
            self.pos += 1
            if self._peek() == "":
                self.leniencies.append(Leniency("trailing comma at end of file", comma))
                break
            values.append(self.value())
        if self._peek() != "":
            raise self._expected("end of file")
        return JsonDocument(values, self.leniencies)

    def value(self) -> Node:
        ch = self._peek()
        if ch == "{":
            return self._object()
        if ch == "[":
            return self._array()
        if ch == '"':
            return self._string()
        if ch == "-" or ch.isdigit():
            return self._number()
        for word, kind in _LITERALS.items():
            if self.text.startswith(word, self.pos):
                start = self.pos
                self.pos += len(word)
                return Node(kind, start, self.pos, word)
        raise self._expected("a value")

    def _is_bare_member(self) -> bool:
        saved, saved_lenient = self.pos, len(self.leniencies)
        try:
            self._string()
            return self._peek() == ":"
        except JsonSyntaxError:
            return False
        finally:
            self.pos = saved
            del self.leniencies[saved_lenient:]

    def _object(self) -> Node:
        start = self.pos
        self.pos += 1
        return self._object_body(start, closing="}")

    def _object_body(self, start: int, closing: str = "") -> Node:
        pairs: list[Pair] = []
        while True:
            ch = self._peek()
            if ch == closing:
                self.pos += len(closing)
                return Node("object", start, self.pos, pairs=tuple(pairs))
            if ch != '"':
                raise self._expected("a quoted key or '}'")
            key_node = self._string()
            if self._peek() != ":":
                raise self._expected("':'")
            self.pos += 1
            pairs.append(Pair(key_node.text, key_node.start, self.value()))
            ch = self._peek()
            if ch == ",":
                comma = self.pos
                self.pos += 1
                if self._peek() == closing:
                    where = f"before {closing!r}" if closing else "at end of file"
                    self.leniencies.append(Leniency(f"trailing comma {where}", comma))
            elif ch != closing:
                raise self._expected(f"',' or {closing!r}" if closing else "',' or end of file")

    def _array(self) -> Node:
        start = self.pos
        self.pos += 1
        items: list[Node] = []
        while True:
            if self._peek() == "]":
                self.pos += 1
                return Node("array", start, self.pos, items=tuple(items))
            items.append(self.value())
            ch = self._peek()
            if ch == ",":
                comma = self.pos
                self.pos += 1
                if self._peek() == "]":
                    self.leniencies.append(Leniency("trailing comma before ']'", comma))
            elif ch != "]":
                raise self._expected("',' or ']'")

    def _string(self) -> Node:
        text, start = self.text, self.pos
        i, n = start + 1, len(text)
        out: list[str] = []
        while True:
            if i >= n:
                raise JsonSyntaxError("unterminated string", start)
            ch = text[i]
            if ch == '"':
                self.pos = i + 1
                return Node("string", start, self.pos, "".join(out))
            if ch == "\\":
                i = self._escape(i, out)
                continue
            if ch < " ":
                name = {"\n": "newline", "\r": "carriage return", "\t": "tab"}.get(ch, "control")
                self.leniencies.append(Leniency(f"raw {name} character inside a string", i))
            out.append(ch)
            i += 1

    def _escape(self, i: int, out: list[str]) -> int:
        text = self.text
        code = text[i + 1 : i + 2]
        if code in _ESCAPES:
            out.append(_ESCAPES[code])
            return i + 2
        if code == "u":
            unit = _hex4(text, i + 2)
            if unit is None:
                raise JsonSyntaxError("invalid \\u escape", i)
            if 0xD800 <= unit < 0xDC00 and text[i + 6 : i + 8] == "\\u":
                low = _hex4(text, i + 8)
                if low is not None and 0xDC00 <= low < 0xE000:
                    out.append(chr(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)))
                    return i + 12
            if 0xD800 <= unit < 0xE000:
                self.leniencies.append(Leniency("lone surrogate escape read as U+FFFD", i))
                out.append("\ufffd")
            else:
                out.append(chr(unit))
            return i + 6
        if code == "":
            raise JsonSyntaxError("unterminated string", i)
        self.leniencies.append(Leniency(f"invalid escape '\\{code}' kept as written", i))
        out.append("\\" + code)
        return i + 2

    def _number(self) -> Node:
        text, start = self.text, self.pos
        i = start + (1 if text[start] == "-" else 0)
        while i < len(text) and (text[i].isdigit() or text[i] in ".eE+-"):
            i += 1
        literal = text[start:i]
        try:
            float(literal)
        except ValueError:
            raise JsonSyntaxError(f"invalid number {literal!r}", start) from None
        self.pos = i
        return Node("number", start, i, literal)


def _hex4(text: str, start: int) -> int | None:
    digits = text[start : start + 4]
    if len(digits) == 4 and all(c in "0123456789abcdefABCDEF" for c in digits):
        return int(digits, 16)
    return None


def string_offset(source: str, node: Node, index: int) -> int:
    """The source offset of character ``index`` of a decoded JSON string ``node``.

    Re-reads the raw token so escapes (``\\n``, ``\\u00e9``) map back to the right column.
    """
    if node.kind != "string" or source[node.start : node.start + 1] != '"':
        return node.start
    i, decoded = node.start + 1, 0
    while i < node.end - 1 and decoded < index:
        if source[i] == "\\" and source[i + 1 : i + 2] == "u":
            unit, low = _hex4(source, i + 2), _hex4(source, i + 8)
            pair = unit is not None and 0xD800 <= unit < 0xDC00 and source[i + 6 : i + 8] == "\\u"
            i += 12 if pair and low is not None and 0xDC00 <= low < 0xE000 else 6
        elif source[i] == "\\":
            i += 2
        else:
            i += 1
        decoded += 1
    return i

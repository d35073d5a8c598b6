"""Run-time values of the language and their text."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from dp_airflow.expressions.datetimes import render as render_datetime


@dataclass(frozen=True, slots=True)
class ObjectRef:
    """A reference to a pipeline object; its text is the object's id."""

    id: str


Scalar = int | float | str | datetime | ObjectRef
Value = Scalar | tuple[Scalar, ...]

TYPE_NAMES = {
    int: "Integer",
    float: "Double",
    str: "String",
    datetime: "DateTime",
    ObjectRef: "Object",
    tuple: "List",
}


def a(kind: str) -> str:
    """``a String`` / ``an Integer``: the type name with its article."""
    return ("an " if kind[:1] in "AEIOU" else "a ") + kind


def type_name(value: Value) -> str:
    """The expression language's name for a value's type."""
    for kind, name in TYPE_NAMES.items():
        if isinstance(value, kind) and not isinstance(value, bool):
            return name
    return type(value).__name__


def format_double(number: float) -> str:
    """Java's ``Double.toString``, except that a fraction below 1 drops its leading zero.

    The guide documents ``#{1.0 / 2}`` as ``.5`` and ``#{2 ^ 2}`` as ``4.0``; both hold here.
    """
    if math.isnan(number):
        return "NaN"
    if math.isinf(number):
        return "Infinity" if number > 0 else "-Infinity"
    if number == 0:
        return "0.0" if math.copysign(1, number) > 0 else "-0.0"
    magnitude = abs(number)
    if 1e-3 <= magnitude < 1e7:
        text = repr(number)
        if "e" in text or "E" in text:
            text = f"{number:.17f}".rstrip("0")
        if "." not in text:
            text += ".0"
        if text.endswith("."):
            text += "0"
        if magnitude < 1:
            text = text.replace("0.", ".", 1)
        return text
    # Shortest round-tripping digits (as Java's algorithm gives for these magnitudes).
    _, digits, exponent = Decimal(repr(magnitude)).normalize().as_tuple()
    assert isinstance(exponent, int)
    text = "".join(map(str, digits))
    power = len(text) - 1 + exponent
    mantissa = text[0] + "." + (text[1:] or "0")
    return f"{'-' if number < 0 else ''}{mantissa}E{power}"


def to_text(value: Value) -> str:
    """A value as the expression language writes it into a field."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format_double(value)
    if isinstance(value, datetime):
        return render_datetime(value)
    if isinstance(value, ObjectRef):
        return value.id
    if isinstance(value, tuple):
        return ",".join(to_text(v) for v in value)
    return value

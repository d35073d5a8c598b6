"""Field ("slot") kinds and the parsers for their literal forms.

Every typed field of the model carries a ``Slot`` in its ``Annotated`` metadata; validation reads
the slots to check values with their places, and the model uses the same parsers to convert them.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final


class Kind(enum.StrEnum):
    """The kind of value a field holds."""

    STRING = "String"
    INTEGER = "Integer"
    DOUBLE = "Double"
    BOOLEAN = "Boolean"
    DATETIME = "DateTime"
    PERIOD = "Period"
    ENUM = "Enumeration"
    REF = "Reference"


@dataclass(frozen=True, slots=True)
class Slot:
    """What one field accepts.

    ``targets`` names the object types or categories a reference may point at; ``choices`` the
    enumeration values; ``multi`` allows several values; ``required`` is checked after inheritance.
    """

    kind: Kind
    multi: bool = False
    required: bool = False
    choices: tuple[str, ...] = ()
    targets: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None


class PeriodUnit(enum.StrEnum):
    """The units of a Data Pipeline period."""

    MINUTES = "minutes"
    HOURS = "hours"
    DAYS = "days"
    WEEKS = "weeks"
    MONTHS = "months"
    YEARS = "years"


_UNIT_MINUTES: Final = {
    PeriodUnit.MINUTES: 1,
    PeriodUnit.HOURS: 60,
    PeriodUnit.DAYS: 1440,
    PeriodUnit.WEEKS: 10080,
    PeriodUnit.MONTHS: 43200,
    PeriodUnit.YEARS: 525600,
}


@dataclass(frozen=True, slots=True, order=True)
class Period:
    """``N unit``: calendar months and years are kept as such, not turned into minutes."""

    count: int
    unit: PeriodUnit

    def approximate_minutes(self) -> int:
        """Length in minutes with 30-day months and 365-day years: for range checks only."""
        return self.count * _UNIT_MINUTES[self.unit]

    def __str__(self) -> str:
        unit = self.unit.value if self.count != 1 else self.unit.value[:-1]
        return f"{self.count} {unit}"


ONDEMAND_PERIOD: Final = "ONDEMAND_PERIOD"
_PERIOD = re.compile(r"^\s*(\d+)\s*([A-Za-z]+?)s?\s*$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")
_INTEGER = re.compile(r"^[+-]?\d+$")
_DOUBLE = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


class LiteralError(ValueError):
    """A literal does not have its kind's form; the message says what was expected."""


def parse_period(text: str) -> Period:
    """A period literal (``15 minutes``, ``1 day``…); raises LiteralError otherwise."""
    match = _PERIOD.match(text)
    if match:
        unit_word = match.group(2).lower() + "s"
        try:
            unit = PeriodUnit(unit_word)
        except ValueError:
            pass
        else:
            count = int(match.group(1))
            if count > 0:
                return Period(count, unit)
    raise LiteralError(
        f"{text!r} is not a period: expected '<positive number> <unit>' with unit minutes, "
        "hours, days, weeks, months or years (for example '15 minutes', '1 day')"
    )


def parse_datetime(text: str) -> datetime:
    """A ``YYYY-MM-DDTHH:MM:SS`` literal as a UTC datetime; raises LiteralError otherwise."""
    if _DATETIME.match(text):
        try:
            return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)
        except ValueError:
            pass
    raise LiteralError(
        f"{text!r} is not a literal datetime value: expected YYYY-MM-DDTHH:MM:SS in UTC "
        "(for example 2012-01-15T23:59:00)"
    )


def parse_integer(text: str) -> int:
    """An integer literal; raises LiteralError otherwise."""
    if _INTEGER.match(text.strip()):
        return int(text)
    raise LiteralError(f"{text!r} is not an integer")


def parse_double(text: str) -> float:
    """A number literal; raises LiteralError otherwise."""
    if _DOUBLE.match(text.strip()):
        return float(text)
    raise LiteralError(f"{text!r} is not a number")


def parse_boolean(text: str) -> bool:
    """``true`` or ``false`` (any case); raises LiteralError otherwise."""
    lowered = text.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    raise LiteralError(f"{text!r} is not a boolean: expected 'true' or 'false'")


def match_choice(text: str, choices: tuple[str, ...]) -> str:
    """The canonical spelling of an enumeration value (matching ignores case)."""
    for choice in choices:
        if choice == text:
            return choice
    for choice in choices:
        if choice.lower() == text.strip().lower():
            return choice
    raise LiteralError(f"{text!r} is not one of {', '.join(choices)}")


def has_expression(text: str) -> bool:
    """Whether a value holds a ``#{...}`` expression."""
    return "#{" in text


LITERAL_PARSERS: dict[Kind, Callable[[str], object]] = {
    Kind.INTEGER: parse_integer,
    Kind.DOUBLE: parse_double,
    Kind.BOOLEAN: parse_boolean,
    Kind.DATETIME: parse_datetime,
    Kind.PERIOD: parse_period,
}
"""The parser of each literal kind (strings, enums and references need none)."""

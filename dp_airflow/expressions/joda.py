"""Joda-Time ``DateTimeFormat.forPattern`` formatting, letter for letter.

Data Pipeline formats dates with Joda-Time, whose pattern letters differ from Python's
``strftime`` and from java.time: ``Y`` is year of era (not week-year), ``x`` is the ISO week-year,
``e`` the ISO day of week, ``S`` a truncated fraction of second. Patterns are compiled once into a
tuple of printers. Unknown letters raise ``PatternError`` with the offset of the token, as Joda's
"Illegal pattern component" does.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_LETTERS = frozenset("GCYxwweEyDMdaKhHkmsSzZ")


class PatternError(ValueError):
    """A Joda-Time pattern that cannot be compiled."""

    def __init__(self, message: str, offset: int, width: int) -> None:
        super().__init__(message)
        self.offset = offset
        self.width = width


@dataclass(frozen=True, slots=True)
class _Token:
    text: str
    offset: int

    @property
    def letter(self) -> str:
        return self.text[0]


Printer = Callable[[datetime], str]


def _tokens(pattern: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(pattern)
    while i < n:
        ch = pattern[i]
        start = i
        if ch.isascii() and ch.isalpha():
            while i < n and pattern[i] == ch:
                i += 1
            tokens.append(_Token(pattern[start:i], start))
        elif ch == "'":
            if pattern.startswith("''", i):
                tokens.append(_Token("''", start))  # '' is one quote, inside or outside text
                i += 2
                continue
            i += 1
            text = ["'"]
            while i < n:
                if pattern.startswith("''", i):
                    text.append("'")
                    i += 2
                elif pattern[i] == "'":
                    i += 1
                    break
                else:
                    text.append(pattern[i])
                    i += 1
            # An unterminated quote runs to the end, as in Joda.
            tokens.append(_Token("".join(text), start))
        else:
            while (
                i < n and not (pattern[i].isascii() and pattern[i].isalpha()) and pattern[i] != "'"
            ):
                i += 1
            tokens.append(_Token("'" + pattern[start:i], start))
    return tokens


def _number(value: int, digits: int) -> str:
    return ("-" + str(-value).zfill(digits)) if value < 0 else str(value).zfill(digits)


def _year_of_era(dt: datetime) -> int:
    return dt.year if dt.year > 0 else 1 - dt.year


def _offset(dt: datetime, colon: bool) -> str:
    delta = dt.utcoffset()
    seconds = int(delta.total_seconds()) if delta is not None else 0
    sign = "-" if seconds < 0 else "+"
    hours, minutes = divmod(abs(seconds) // 60, 60)
    return f"{sign}{hours:02d}{':' if colon else ''}{minutes:02d}"


def _zone_id(dt: datetime) -> str:
    zone = dt.tzinfo
    key = getattr(zone, "key", None)
    if isinstance(key, str):
        return key
    return "UTC" if dt.utcoffset() is not None and not dt.utcoffset() else _offset(dt, True)


def _zone_name(dt: datetime, long: bool) -> str:
    if _zone_id(dt) == "UTC":
        return "Coordinated Universal Time" if long else "UTC"
    name = dt.tzname() or _offset(dt, True)
    return name


def _fraction(dt: datetime, digits: int) -> str:
    millis = dt.microsecond // 1000
    return str(millis * 10**digits // 1000).zfill(digits)


def _printer(token: _Token) -> Printer:  # noqa: C901 - one branch a letter
    if token.letter == "'":
        literal = "'" if token.text == "''" else token.text[1:]
        return lambda dt: literal
    letter, count = token.letter, len(token.text)
    if letter not in _LETTERS:
        raise PatternError(
            f"Illegal pattern component: {token.text}", token.offset, len(token.text)
        )
    if letter in "yYx" and count == 2:
        if letter == "x":
            return lambda dt: _number(dt.isocalendar()[0] % 100, 2)
        if letter == "Y":
            return lambda dt: _number(_year_of_era(dt) % 100, 2)
        return lambda dt: _number(dt.year % 100, 2)
    numbers: dict[str, Callable[[datetime], int]] = {
        "y": lambda dt: dt.year,
        "Y": _year_of_era,
        "x": lambda dt: dt.isocalendar()[0],
        "C": lambda dt: _year_of_era(dt) // 100,
        "w": lambda dt: dt.isocalendar()[1],
        "e": lambda dt: dt.isoweekday(),
        "D": lambda dt: dt.timetuple().tm_yday,
        "d": lambda dt: dt.day,
        "H": lambda dt: dt.hour,
        "k": lambda dt: dt.hour or 24,
        "K": lambda dt: dt.hour % 12,
        "h": lambda dt: dt.hour % 12 or 12,
        "m": lambda dt: dt.minute,
        "s": lambda dt: dt.second,
    }
    if letter == "M":
        if count >= 4:
            return lambda dt: MONTHS[dt.month - 1]
        if count == 3:
            return lambda dt: MONTHS[dt.month - 1][:3]
        return lambda dt: _number(dt.month, count)
    if letter == "E":
        if count >= 4:
            return lambda dt: WEEKDAYS[dt.weekday()]
        return lambda dt: WEEKDAYS[dt.weekday()][:3]
    if letter == "G":
        return lambda dt: "AD" if dt.year > 0 else "BC"
    if letter == "a":
        return lambda dt: "AM" if dt.hour < 12 else "PM"
    if letter == "S":
        return lambda dt: _fraction(dt, count)
    if letter == "z":
        return lambda dt: _zone_name(dt, long=count >= 4)
    if letter == "Z":
        if count == 1:
            return lambda dt: _offset(dt, colon=False)
        if count == 2:
            return lambda dt: _offset(dt, colon=True)
        return _zone_id
    field = numbers[letter]
    return lambda dt: _number(field(dt), count)


@functools.lru_cache(maxsize=512)
def compile_pattern(pattern: str) -> tuple[Printer, ...]:
    """The printers of ``pattern``; raises PatternError for a letter Joda does not know."""
    return tuple(_printer(token) for token in _tokens(pattern))


def format_datetime(dt: datetime, pattern: str) -> str:
    """``dt`` formatted with a Joda-Time pattern (compiled once per pattern)."""
    return compile_format(pattern)(dt)


_ATTRIBUTES = {
    "y": "year",
    "Y": "year",
    "M": "month",
    "d": "day",
    "H": "hour",
    "m": "minute",
    "s": "second",
}
"""Letters printing a datetime attribute as a zero-padded number (Python years run 1 to 9999,
so the year of era is the year and nothing is negative)."""


@functools.lru_cache(maxsize=512)
def compile_format(pattern: str) -> Callable[[datetime], str]:
    """``pattern`` as one function: a single ``%`` template over the datetime's attributes
    when every letter allows it, else the printers joined; raises PatternError."""
    printers = compile_pattern(pattern)
    template: list[str] = []
    attributes: list[str] = []
    for token in _tokens(pattern):
        if token.letter == "'":
            template.append(("'" if token.text == "''" else token.text[1:]).replace("%", "%%"))
            continue
        count, attribute = len(token.text), _ATTRIBUTES.get(token.letter)
        if attribute is None or (token.letter == "M" and count > 2) or token.text in ("yy", "YY"):
            return lambda dt: "".join([printer(dt) for printer in printers])
        template.append(f"%0{count}d")
        attributes.append(attribute)
    text = "".join(template)
    if not attributes:
        literal = text % ()
        return lambda dt: literal
    values = operator.attrgetter(*attributes)
    return lambda dt: text % values(dt)

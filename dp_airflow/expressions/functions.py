"""Every documented function, registered with its signature.

Signatures drive the static checker (arity and argument types before run time) and the
evaluator's argument checks. A ``FunctionFailure`` names the argument at fault so the error can
point at it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from dp_airflow.expressions import datetimes
from dp_airflow.expressions.joda import PatternError, format_datetime
from dp_airflow.model.slots import LiteralError, parse_period

DATETIME, INTEGER, DOUBLE, STRING, ANY = "DateTime", "Integer", "Double", "String", "Any"
OBJECT, LIST = "Object", "List"
"""Static types of the language (the checker's vocabulary)."""


class FunctionFailure(Exception):
    """A function refused its arguments at run time (an evaluation error at its call)."""

    def __init__(
        self, message: str, argument: int | None = None, inner_offset: int = 0, width: int = 1
    ) -> None:
        super().__init__(message)
        self.message = message
        self.argument = argument
        self.inner_offset = inner_offset
        self.width = width


@dataclass(frozen=True, slots=True)
class Function:
    """One function of the language: name, parameter kinds, result kind, implementation."""

    name: str
    params: tuple[str, ...]
    returns: str
    impl: Callable[..., Any]
    doc: str


def _fields(name: str, getter: Callable[[datetime], int], doc: str) -> Function:
    return Function(name, (DATETIME,), INTEGER, getter, doc)


def _shift(name: str, mover: Callable[[datetime, int], datetime], doc: str) -> Function:
    def impl(value: datetime, amount: int) -> datetime:
        try:
            return mover(value, amount)
        except (OverflowError, ValueError):
            raise FunctionFailure(f"{name}() moves the date out of range", 1) from None

    return Function(name, (DATETIME, INTEGER), DATETIME, impl, doc)


def _make_datetime(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    try:
        return datetime(year, month, day, hour, minute, tzinfo=UTC)
    except (ValueError, OverflowError):
        shown = f"{year}-{month}-{day}" + (f" {hour}:{minute}" if hour or minute else "")
        raise FunctionFailure(f"{shown} is not a valid date and time") from None


def _format(value: datetime, pattern: str) -> str:
    try:
        return format_datetime(value, pattern)
    except PatternError as exc:
        raise FunctionFailure(str(exc), 1, exc.offset, exc.width) from None


def _in_time_zone(value: datetime, zone_id: str) -> datetime:
    try:
        return value.astimezone(datetimes.zone(zone_id))
    except LookupError as exc:
        raise FunctionFailure(str(exc), 1) from None


def _plus_period(value: datetime, period: str) -> datetime:
    try:
        return datetimes.add_period(value, parse_period(period))
    except LiteralError as exc:
        raise FunctionFailure(str(exc), 1) from None


def _midnight(value: datetime) -> datetime:
    return datetimes.add_local(
        value,
        -timedelta(
            hours=value.hour,
            minutes=value.minute,
            seconds=value.second,
            microseconds=value.microsecond,
        ),
    )


def _sunday(value: datetime) -> datetime:
    return datetimes.add_local(value, -timedelta(days=(value.weekday() + 1) % 7))


def _first_of_month(value: datetime) -> datetime:
    return datetimes.add_local(value, -timedelta(days=value.day - 1))


def _days(n: int) -> timedelta:
    return timedelta(days=n)


_MOVERS: dict[str, Callable[[datetime, int], datetime]] = {
    "Minutes": lambda d, n: datetimes.add_instant(d, timedelta(minutes=n)),
    "Hours": lambda d, n: datetimes.add_instant(d, timedelta(hours=n)),
    "Days": lambda d, n: datetimes.add_local(d, _days(n)),
    "Weeks": lambda d, n: datetimes.add_local(d, _days(7 * n)),
    "Months": datetimes.add_months,
    "Years": lambda d, n: datetimes.add_months(d, 12 * n),
}


def _negated(
    mover: Callable[[datetime, int], datetime],
) -> Callable[[datetime, int], datetime]:
    return lambda value, amount: mover(value, -amount)


def _registry() -> dict[str, Function]:
    functions = [
        _fields("day", lambda d: d.day, "Day of the month."),
        _fields("dayOfYear", lambda d: d.timetuple().tm_yday, "Day of the year."),
        _fields("hour", lambda d: d.hour, "Hour of the day, 0-23."),
        _fields("minute", lambda d: d.minute, "Minute of the hour."),
        _fields("month", lambda d: d.month, "Month of the year, 1-12."),
        _fields("year", lambda d: d.year, "The year."),
        Function(
            "firstOfMonth",
            (DATETIME,),
            DATETIME,
            _first_of_month,
            "First day of the month, time of day kept.",
        ),
        Function("midnight", (DATETIME,), DATETIME, _midnight, "00:00 of the same day."),
        Function(
            "sunday",
            (DATETIME,),
            DATETIME,
            _sunday,
            "The most recent Sunday (the same day if it is one), time of day kept.",
        ),
        Function(
            "yesterday",
            (DATETIME,),
            DATETIME,
            lambda d: datetimes.add_local(d, _days(-1)),
            "minusDays(d, 1).",
        ),
        Function("makeDate", (INTEGER,) * 3, DATETIME, _make_datetime, "UTC midnight."),
        Function("makeDateTime", (INTEGER,) * 5, DATETIME, _make_datetime, "A UTC DateTime."),
        Function("format", (DATETIME, STRING), STRING, _format, "Joda-Time pattern formatting."),
        Function(
            "inTimeZone",
            (DATETIME, STRING),
            DATETIME,
            _in_time_zone,
            "The same instant in another time zone.",
        ),
        Function(
            "plusPeriod",
            (DATETIME, STRING),
            DATETIME,
            _plus_period,
            "Add a period such as '1 day'.",
        ),
    ]
    for unit, mover in _MOVERS.items():
        functions.append(_shift(f"plus{unit}", mover, f"Add {unit.lower()}."))
        functions.append(_shift(f"minus{unit}", _negated(mover), f"Subtract {unit.lower()}."))
    return {f.name: f for f in functions}


FUNCTIONS: dict[str, Function] = _registry()
"""Function name → function: the explicit registry both the checker and evaluator use."""

"""Date arithmetic with Joda-Time's rules.

Month and year arithmetic clamps the day to the month's end (Jan 31 + 1 month = Feb 28/29).
Days, weeks, months and years move the local wall-clock time (kept across a DST change); hours
and minutes move the instant. A wall time that falls in a DST gap moves forward by the gap, as
Joda does.
"""

from __future__ import annotations

import calendar
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dp_airflow.model.slots import Period, PeriodUnit


def _localize(naive: datetime, zone: tzinfo | None) -> datetime:
    if zone is None or zone is UTC:
        return naive.replace(tzinfo=UTC)
    candidate = naive.replace(tzinfo=zone, fold=0)
    # A wall time inside a DST gap does not round-trip: move it forward by the gap.
    if candidate.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != naive:
        shifted = (candidate.astimezone(UTC) + timedelta(0)).astimezone(zone)
        return shifted
    return candidate


def add_months(value: datetime, months: int) -> datetime:
    """``value`` plus ``months`` calendar months, the day clamped to the month's last."""
    total = value.year * 12 + (value.month - 1) + months
    year, month = divmod(total, 12)
    month += 1
    if not 1 <= year <= 9999:
        raise OverflowError("date out of range")
    day = min(value.day, calendar.monthrange(year, month)[1])
    naive = value.replace(tzinfo=None, year=year, month=month, day=day)
    return _localize(naive, value.tzinfo)


def add_local(value: datetime, delta: timedelta) -> datetime:
    """Move the wall-clock time (Joda's plusDays/plusWeeks)."""
    naive = value.replace(tzinfo=None) + delta
    return _localize(naive, value.tzinfo)


def add_instant(value: datetime, delta: timedelta) -> datetime:
    """Move the instant (Joda's plusHours/plusMinutes)."""
    zone = value.tzinfo
    moved = value.astimezone(UTC) + delta
    return moved.astimezone(zone) if zone is not None else moved


def add_period(value: datetime, period: Period, sign: int = 1) -> datetime:
    """``value`` plus (``sign`` 1) or minus (-1) a Data Pipeline period."""
    count = period.count * sign
    if period.unit is PeriodUnit.MONTHS:
        return add_months(value, count)
    if period.unit is PeriodUnit.YEARS:
        return add_months(value, 12 * count)
    if period.unit is PeriodUnit.WEEKS:
        return add_local(value, timedelta(weeks=count))
    if period.unit is PeriodUnit.DAYS:
        return add_local(value, timedelta(days=count))
    if period.unit is PeriodUnit.HOURS:
        return add_instant(value, timedelta(hours=count))
    return add_instant(value, timedelta(minutes=count))


def zone(zone_id: str) -> tzinfo:
    """The time zone of a Joda zone id (UTC and its aliases, or an IANA name)."""
    if zone_id.upper() in ("UTC", "Z", "GMT", "ETC/UTC"):
        return UTC
    try:
        return ZoneInfo(zone_id)
    except (ZoneInfoNotFoundError, ValueError):
        raise LookupError(f"unknown time zone {zone_id!r}") from None


def render(value: datetime) -> str:
    """Data Pipeline's default text for a DateTime: ``YYYY-MM-DDTHH:MM:SS`` (wall time)."""
    return (
        value.strftime("%Y-%m-%dT%H:%M:%S")
        if value.year >= 1000
        else (f"{value.year:04d}" + value.strftime("-%m-%dT%H:%M:%S"))
    )

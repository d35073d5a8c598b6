"""A pattern compiled into one ``%`` template prints exactly what its printers print."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from dp_airflow.expressions.joda import compile_format, compile_pattern

PATTERNS = [
    "YYYY-MM-dd",
    "yyyy/MM/dd HH:mm:ss",
    "y-M-d H:m:s",
    "yyyyyy",
    "YYYY-MM-dd'T'HH:mm:ss'Z'",
    "'100% done' dd",
    "''yyyy''",
    "'literal only'",
    "yy-MM",  # two-digit year: the printers
    "MMM dd",  # month name: the printers
    "EEE, dd MMM yyyy HH:mm:ss Z",
]
MOMENTS = [
    datetime(2024, 1, 5, 3, 4, 5, tzinfo=UTC),
    datetime(1, 1, 1, tzinfo=UTC),
    datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC),
    datetime(2024, 7, 9, 23, 0, tzinfo=timezone(timedelta(hours=-5))),
]


@pytest.mark.parametrize("pattern", PATTERNS)
def test_the_compiled_format_prints_what_the_printers_print(pattern: str) -> None:
    printers = compile_pattern(pattern)
    for moment in MOMENTS:
        assert compile_format(pattern)(moment) == "".join(p(moment) for p in printers)

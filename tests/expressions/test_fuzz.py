"""Fuzzing the expression language: only our error types ever come out."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from dp_airflow.expressions.check import CheckScope, check_value
from dp_airflow.expressions.errors import ExpressionAtError
from dp_airflow.expressions.evaluate import render
from dp_airflow.expressions.joda import PatternError, format_datetime
from dp_airflow.expressions.scope import Environment, InstanceScope, Interval

ATOMS = [
    "#{",
    "}",
    "(",
    ")",
    ",",
    ".",
    "'",
    '"',
    "+",
    "-",
    "*",
    "/",
    "^",
    " ",
    "1",
    "2.5",
    "0",
    "@scheduledStartTime",
    "@id",
    "node",
    "parent",
    "input",
    "myX",
    "*myX",
    "format",
    "plusDays",
    "makeDate",
    "'YYYY-MM-dd'",
    "inTimeZone",
    "'UTC'",
    "sunday",
    "\\",
    "$",
    "{",
    "#",
]
SCOPE = InstanceScope(Environment({}), None, Interval(datetime(2020, 2, 29, 13, 5, tzinfo=UTC)))
CHECK = CheckScope({}, {})


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(ATOMS), st.text(max_size=3)), max_size=25))
def test_evaluation_raises_only_expression_errors(atoms: list[str]) -> None:
    value = "".join(atoms)
    try:
        result = render(value, SCOPE)
    except ExpressionAtError as exc:
        assert exc.message
        assert 0 <= exc.offset <= len(value)
    else:
        assert isinstance(result, (str, tuple))
    for error in check_value(value, CHECK):
        assert 0 <= error.offset <= len(value)


@settings(max_examples=800, deadline=None)
@given(
    st.text(alphabet="yYxwweEDMdaKhHkmsSzZGCq'T-: /.", max_size=12),
    st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)),
)
def test_patterns_format_or_raise_pattern_error(pattern: str, moment: datetime) -> None:
    try:
        text = format_datetime(moment.replace(tzinfo=UTC), pattern)
    except PatternError as exc:
        assert 0 <= exc.offset < len(pattern)
    else:
        assert isinstance(text, str)

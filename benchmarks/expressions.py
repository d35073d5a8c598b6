"""Expression evaluation against the hand-written equivalent.

Run: ``.venv/bin/python benchmarks/expressions.py`` (prints a Markdown table row).

A typical path, ``s3://bucket/#{format(@scheduledStartTime,'YYYY/MM/dd')}/``, compiled once and
evaluated per instance, against ``f"s3://bucket/{start.strftime('%Y/%m/%d')}/"``.
"""

from __future__ import annotations

import platform
import timeit
from datetime import UTC, datetime, timedelta

from dp_airflow.expressions.evaluate import render
from dp_airflow.expressions.scope import Environment, InstanceScope, Interval
from dp_airflow.expressions.template import compile_template

VALUE = "s3://bucket/#{format(@scheduledStartTime,'YYYY/MM/dd')}/"
STARTS = [datetime(2024, 1, 1, tzinfo=UTC) + timedelta(hours=h) for h in range(1000)]


def ours() -> None:
    template = compile_template(VALUE)
    env = Environment({})
    for start in STARTS:
        render(template, InstanceScope(env, None, Interval(start)))


def hand_written() -> None:
    for start in STARTS:
        _ = f"s3://bucket/{start.strftime('%Y/%m/%d')}/"


def best(function: object, repeat: int = 7, number: int = 5) -> float:
    """Seconds per evaluation, best of ``repeat``."""
    times = timeit.repeat(function, repeat=repeat, number=number)  # type: ignore[arg-type]
    return min(times) / (number * len(STARTS))


if __name__ == "__main__":
    assert render(VALUE, InstanceScope(Environment({}), None, Interval(STARTS[0]))) == (
        "s3://bucket/2024/01/01/"
    )
    ours_s, hand_s = best(ours), best(hand_written)
    print(
        f"| {platform.python_version()} | {ours_s * 1e6:.2f} µs | {hand_s * 1e6:.2f} µs | "
        f"{ours_s / hand_s:.1f}× |"
    )

"""One driver for the expression conformance file (conformance.json).

Each group has a ``given`` context (``at``, ``end``, the subject object's ``fields``, other
``objects``, ``parameters`` and ``values``, and ``node`` for actions) and ``cases``: a field
``value`` (a string, or a list for a multi-valued field) with either its ``result`` or the exact
``error`` and its ``offset``. Every case that evaluates must also pass the static checker with no
error, so checker and evaluator cannot drift apart; ``static`` lists expected checker messages.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from dp_airflow.diagnostics import DiagnosticSink
from dp_airflow.expressions.check import CheckScope, check_value
from dp_airflow.expressions.errors import ExpressionAtError
from dp_airflow.expressions.evaluate import render, render_values
from dp_airflow.expressions.scope import Environment, InstanceScope, Interval
from dp_airflow.model.slots import parse_datetime
from dp_airflow.read.readers import read_text
from dp_airflow.validate.validation import validate_definition

GROUPS = json.loads((Path(__file__).parent / "conformance.json").read_text())
SUBJECT = "Subject"


def _cases() -> list[Any]:
    out = []
    for group in GROUPS:
        for index, case in enumerate(group["cases"]):
            name = f"{group['group']}[{index}] {case['value']!s}"[:120]
            out.append(pytest.param(group["given"], case, id=name))
    return out


def _scopes(given: dict[str, Any]) -> tuple[InstanceScope, CheckScope]:
    subject = {
        "id": SUBJECT,
        "type": given.get("type", "ShellCommandActivity"),
        "workerGroup": "wg",
        **given.get("fields", {}),
    }
    objects = [{"id": "Default", "scheduleType": "ondemand"}, subject, *given.get("objects", [])]
    document = {
        "objects": objects,
        "parameters": given.get("parameters", []),
        "values": given.get("values", {}),
    }
    definition = read_text(json.dumps(document)).definitions[0]
    context = validate_definition(definition, DiagnosticSink())
    parameters = {p.id: p for p in definition.parameters}
    values = {f.key: tuple(v.text or "" for v in f.values) for f in definition.values}
    env = Environment(context.resolved, parameters, values, pipeline_id="df-0123456789")
    at = parse_datetime(given.get("at", "2011-05-24T17:10:00"))
    end = parse_datetime(given["end"]) if "end" in given else None
    interval = Interval(at, end, actual_start=at, extra=given.get("runtime", {}))
    node_id = given.get("node")
    node = InstanceScope(env, node_id, interval) if node_id else None
    referrers = (node_id,) if node_id else ()
    check_scope = CheckScope(context.resolved, parameters, frozenset(values), SUBJECT, referrers)
    return InstanceScope(env, SUBJECT, interval, node), check_scope


@pytest.mark.parametrize(("given", "case"), _cases())
def test_conformance(given: dict[str, Any], case: dict[str, Any]) -> None:
    scope, check_scope = _scopes(given)
    value = case["value"]
    values = value if isinstance(value, list) else [value]
    static = [e.message for v in values for e in check_value(v, check_scope)]
    assert static == case.get("static", []), "static checker"
    if "error" in case:
        with pytest.raises(ExpressionAtError) as caught:
            render_values(tuple(values), scope)
        assert caught.value.message == case["error"]
        if "offset" in case:
            assert caught.value.offset == case["offset"]
        return
    result = render_values(tuple(value), scope) if isinstance(value, list) else render(value, scope)
    expected = case["result"]
    assert (list(result) if isinstance(result, tuple) else result) == expected

"""One driver for the validation rule cases in rule_cases.json (one case per rule)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dp_airflow.validate.validation import validate_text
from tests.validate.rule_inputs import actual, case_text

CASES = json.loads((Path(__file__).parent / "rule_cases.json").read_text())


@pytest.mark.parametrize("entry", CASES, ids=[c["case"]["name"] for c in CASES])
def test_rule_case(entry: dict) -> None:
    assert actual(entry["case"]) == entry["expect"]


STAGES_WITH_CODES = ("read", "resolve", "model", "validate")


def test_every_rule_code_has_a_case() -> None:
    """Each diagnostic code the validator can give (outside readers' format codes) is covered."""
    # An entry names its file first when that is not the definition.
    covered = {e[1] if e[0] in ("error", "warning") else e[2] for c in CASES for e in c["expect"]}
    package = Path(__file__).parents[2] / "dp_airflow"
    import re

    emitted = set()
    for path in [p for stage in STAGES_WITH_CODES for p in (package / stage).rglob("*.py")]:
        text = " ".join(path.read_text().split())
        emitted |= set(re.findall(r'\.(?:error|warning)\( ?"([a-z0-9-]+)"', text))
    reader_only = {
        "unknown-format",
        "invalid-structure",
        "invalid-value",
        "ignored-key",
        "fragment",
        "no-objects",
        "duplicate-key",
        "api-object-in-cli",
        "legacy-slots",
        "missing-name",
        "cfn-intrinsic",
        "empty-list",
    }
    assert emitted - covered - reader_only == set()


def test_every_code_is_documented() -> None:
    import re

    root = Path(__file__).parents[2]
    documented = set(
        re.findall(
            r"^\| `([a-z0-9-]+)` \|", (root / "docs" / "diagnostics.md").read_text(), re.MULTILINE
        )
    )
    emitted = set()
    for path in (root / "dp_airflow").rglob("*.py"):
        text = " ".join(path.read_text().split())
        emitted |= set(re.findall(r'\.(?:error|warning)\( ?"([a-z0-9-]+)"', text))
        emitted |= set(re.findall(r'"code": "([a-z0-9-]+)"', text))
    emitted |= {"cycle-depends-on", "cycle-data-flow", "cycle-dependency"}
    emitted |= set(
        re.findall(
            r'code = "([a-z0-9-]+)"',
            (root / "dp_airflow" / "expressions" / "errors.py").read_text(),
        )
    )
    emitted |= {"expression-function", "expression-reference"}
    assert emitted <= documented, emitted - documented


def test_expression_error_renders_caret_under_the_offending_token() -> None:
    case = next(c["case"] for c in CASES if c["case"]["name"] == "unterminated expression")
    (diagnostic,) = validate_text(case_text(case), "case.json").diagnostics
    assert diagnostic.render() == (
        "case.json:20:24: error: [A.command] unterminated expression: '#{' has no closing '}'\n"
        "    echo #{format(@scheduledStartTime,'YYYY')\n"
        "         ^^"
    )


def test_valid_definition_becomes_typed_pipeline() -> None:
    case = next(c["case"] for c in CASES if c["case"]["name"].startswith("multi-level"))
    result = validate_text(case_text(case), "case.json")
    assert result.valid
    (pipeline,) = result.pipelines
    activity = pipeline.objects["A"]
    assert activity.type == "ShellCommandActivity"
    assert activity.command == "x"
    assert activity.worker_group == "wg"
    assert activity.schedule.id == "S"
    schedule = pipeline.objects["S"]
    assert str(schedule.period) == "1 day"
    assert schedule.start_date_time.isoformat() == "2024-01-01T00:00:00+00:00"

"""Inputs of the rule cases (tests/validate/rule_cases.json holds them with expectations).

Run ``python -m tests.validate.rule_inputs`` to print each case's actual diagnostics when adding
a case; review them before pasting into rule_cases.json.
"""

from __future__ import annotations

import json

from dp_airflow.validate.validation import ValidationResult, validate_text

BASE_OBJECTS = [
    {"id": "Default", "scheduleType": "cron", "schedule": {"ref": "S"}, "workerGroup": "wg"},
    {"id": "S", "type": "Schedule", "period": "1 day", "startDateTime": "2024-01-01T00:00:00"},
]


def case_text(case: dict) -> str:
    """The definition a case describes, as pretty JSON (so lines are predictable)."""
    if "text" in case:
        return case["text"]
    objects = [] if case.get("no_base") else [dict(o) for o in BASE_OBJECTS]
    # ``generate``: that many copies of ``like`` with ids G0, G1, … (limits need many objects).
    generated = case.get("generate") or {}
    extra = [{"id": f"G{n}", **generated["like"]} for n in range(generated.get("count", 0))]
    by_id = {o["id"]: o for o in objects}
    for obj in [*case.get("objects", []), *extra]:
        if obj.get("id") in by_id and not case.get("append"):
            by_id[obj["id"]].update(obj)
            for key, value in list(by_id[obj["id"]].items()):
                if value is None:
                    del by_id[obj["id"]][key]
        else:
            objects.append(obj)
            by_id.setdefault(obj.get("id", ""), obj)
    document: dict = {"objects": [_expand(o) for o in objects]}
    for key in ("parameters", "values"):
        if key in case:
            document[key] = case[key]
    if "generate_parameters" in case:  # that many String parameters myP0, myP1, …
        document.setdefault("parameters", []).extend(
            {"id": f"myP{n}", "type": "String", "default": "x"}
            for n in range(case["generate_parameters"])
        )
    return json.dumps(document, indent=2)


def _expand(obj: dict) -> dict:
    """``{"$repeat": v, "times": n}`` stands for a long string or list, and ``"$fields": n`` for
    n user fields ``myF0``…, to keep the file small."""
    out: dict = {}
    for key, value in obj.items():
        if key == "$fields":
            out.update({f"myF{n}": "x" for n in range(value)})
            continue
        repeat = isinstance(value, dict) and "$repeat" in value
        out[key] = value["$repeat"] * value["times"] if repeat else value
    return out


def actual(case: dict) -> list[list]:
    """The case's diagnostics; one from another file than the definition names it first.

    ``values_file`` and ``parameters_file`` (JSON documents) are written beside the definition
    as ``case.values.json`` and ``case.parameters.json``; ``parameter_values`` are the
    ``--parameter-values`` arguments."""
    if not any(k in case for k in ("values_file", "parameters_file", "parameter_values")):
        result = validate_text(case_text(case), "case.json")
    else:
        result = _with_inputs(case)
    return [
        ([] if d.file in (None, "case.json") else [d.file])
        + [d.severity.value, d.code, d.object_id, d.field, d.line, d.column, d.message]
        for d in result.diagnostics
    ]


def _with_inputs(case: dict) -> ValidationResult:
    import os
    import tempfile
    from pathlib import Path

    from dp_airflow.read.inputs import PipelineInputs, read_pipeline
    from dp_airflow.validate.validation import validate_loaded

    with tempfile.TemporaryDirectory() as folder:
        here = os.getcwd()
        os.chdir(folder)  # so that diagnostics name the files as the case does
        try:
            Path("case.json").write_text(case_text(case))
            for key, name in (
                ("values_file", "case.values.json"),
                ("parameters_file", "case.parameters.json"),
            ):
                if key in case:
                    content = case[key]
                    text = content if isinstance(content, str) else json.dumps(content, indent=2)
                    Path(name).write_text(text)
            inputs = PipelineInputs.beside("case.json").overridden(
                inline=tuple(case.get("parameter_values", ()))
            )
            return validate_loaded(read_pipeline("case.json", inputs))
        finally:
            os.chdir(here)


if __name__ == "__main__":
    from pathlib import Path

    cases = json.loads((Path(__file__).parent / "rule_cases.json").read_text())
    for case in cases:
        print(case["case"]["name"], json.dumps(actual(case["case"]), indent=None))

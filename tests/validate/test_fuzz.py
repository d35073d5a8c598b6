"""Random mutations of corpus files give diagnostics, never another exception."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dp_airflow.validate.validation import validate_text
from tests.validate.record_corpus import CORPUS, corpus_files

TEXTS = (
    [p.read_text(encoding="utf-8", errors="replace") for p in corpus_files()]
    if (CORPUS.is_dir())
    else ['{"objects": [{"id": "Default", "workerGroup": "w"}]}']
)
SNIPPETS = ['"', "{", "}", "[", "]", ",", ":", "#{", "}", '{"ref": "X"}', "\n", "\\", "@", "*"]


@st.composite
def mutated_texts(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(TEXTS))
    for _ in range(draw(st.integers(1, 6))):
        position = draw(st.integers(0, len(text)))
        operation = draw(st.sampled_from(["insert", "delete", "replace"]))
        piece = draw(st.one_of(st.sampled_from(SNIPPETS), st.text(max_size=3)))
        width = draw(st.integers(1, 12))
        if operation == "insert":
            text = text[:position] + piece + text[position:]
        elif operation == "delete":
            text = text[:position] + text[position + width :]
        else:
            text = text[:position] + piece + text[position + width :]
    return text


FIELD_VALUES = st.one_of(
    st.text(max_size=20),
    st.sampled_from(["#{", "#{}", "1 day", "0 minutes", "2024-13-45T99:00:00", "", "true"]),
    st.fixed_dictionaries({"ref": st.text(max_size=8)}),
    st.lists(st.text(max_size=5), max_size=3),
    st.integers(),
    st.none(),
)


@st.composite
def mutated_objects(draw: st.DrawFn) -> str:
    """Structure-aware: valid JSON whose fields get odd values, types and references."""
    types = ["Schedule", "ShellCommandActivity", "S3DataNode", "Ec2Resource", "SnsAlarm", "Nope"]
    objects = []
    for index in range(draw(st.integers(0, 6))):
        obj: dict[str, object] = {"id": draw(st.sampled_from(["Default", f"O{index}", "O0"]))}
        if draw(st.booleans()):
            obj["type"] = draw(st.sampled_from(types))
        keys = [
            "schedule",
            "period",
            "startDateTime",
            "runsOn",
            "parent",
            "command",
            "input",
            "output",
            "dependsOn",
            "scheduleType",
            "maximumRetries",
            "myX",
            "*password",
        ]
        for key in draw(st.lists(st.sampled_from(keys), max_size=6)):
            obj[key] = draw(FIELD_VALUES)
        objects.append(obj)
    document = {
        "objects": objects,
        "parameters": draw(
            st.lists(
                st.fixed_dictionaries(
                    {
                        "id": st.sampled_from(["myA", "x", "*myB"]),
                        "type": st.sampled_from(["String", "X"]),
                    }
                ),
                max_size=2,
            )
        ),
        "values": draw(st.dictionaries(st.sampled_from(["myA", "z"]), FIELD_VALUES, max_size=2)),
    }
    return json.dumps(document)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_texts())
def test_text_mutations_give_only_diagnostics(text: str) -> None:
    result = validate_text(text, "fuzz.json")
    assert result.valid or result.diagnostics


@settings(max_examples=400, deadline=None)
@given(mutated_objects())
def test_structural_mutations_give_only_diagnostics(text: str) -> None:
    result = validate_text(text, "fuzz.json")
    for diagnostic in result.diagnostics:
        assert diagnostic.message and diagnostic.code

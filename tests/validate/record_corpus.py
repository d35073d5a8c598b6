"""Record what validation says about each corpus file.

Run ``python -m tests.validate.record_corpus`` to rewrite corpus_expected.json.

The recording (corpus_expected.json) is reviewed by hand and then pinned by test_corpus.py.
"""

from __future__ import annotations

import json
from pathlib import Path

from dp_airflow.validate.validation import validate_file

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"
EXPECTED = Path(__file__).parent / "corpus_expected.json"


def corpus_files() -> list[Path]:
    return sorted(
        p for p in CORPUS.rglob("*") if p.is_file() and p.suffix in (".json", ".yaml", ".yml")
    )


def outcome(path: Path) -> dict:
    result = validate_file(path)
    return {
        "valid": result.valid,
        "diagnostics": [
            [d.severity.value, d.code, d.object_id, d.field, d.line, d.column]
            for d in result.diagnostics
        ],
    }


def record() -> dict:
    return {str(p.relative_to(CORPUS)): outcome(p) for p in corpus_files()}


if __name__ == "__main__":
    data = record()
    lines = ",\n".join(f" {json.dumps(k)}: {json.dumps(v)}" for k, v in data.items())
    EXPECTED.write_text("{\n" + lines + "\n}\n")
    print(f"{len(data)} files recorded in {EXPECTED}")

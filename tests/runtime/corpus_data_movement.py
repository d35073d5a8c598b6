"""Which corpus samples of the data-movement kinds translate to a DAG that serializes.

Run ``python -m tests.runtime.corpus_data_movement`` to rewrite corpus_data_movement.json.
Every sample is translated as it is: parameters left for activation time have no value, which
only matters when a run uses them (corpus_runs.py gives them placeholder values in a values
file, as a user would).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

CORPUS = Path(__file__).parents[3] / "shared" / "corpus"
EXPECTED = Path(__file__).with_name("corpus_data_movement.json")
KINDS = (
    "SqlActivity",
    "CopyActivity",
    "RedshiftCopyActivity",
    "DynamoDBDataNode",
    "EmrCluster",
    "EmrActivity",
    "HadoopActivity",
    "HiveActivity",
    "HiveCopyActivity",
    "PigActivity",
    "SqlDataNode",
    "RedshiftDataNode",
)


def samples() -> list[Path]:
    out = []
    for path in sorted(CORPUS.rglob("*")):
        if path.suffix not in (".json", ".yaml", ".yml") or not path.is_file():
            continue
        text = path.read_text(errors="replace")
        if any(f'"{kind}"' in text or f": {kind}" in text for kind in KINDS):
            out.append(path)
    return out


def outcome(path: Path) -> str:
    """``dag`` with the task kinds, or why not."""
    from airflow.serialization.serialized_objects import DagSerialization

    from dp_airflow.errors import DpAirflowError
    from dp_airflow.loader import file_dags
    from dp_airflow.validate.validation import validate_file

    result = validate_file(path, build_models=False)
    errors = sorted({d.code for d in result.diagnostics if d.is_error})
    if errors:
        return "invalid: " + ", ".join(errors)
    if not result.definitions:
        return "invalid: no pipeline"
    try:
        dags = file_dags(path, catchup=False)
    except DpAirflowError as exc:
        return f"not translated: {str(exc).splitlines()[0][:160]}"
    kinds = sorted({type(t).__name__ for dag in dags for t in dag.tasks})
    for dag in dags:
        DagSerialization.to_dict(dag)
    return f"dag: {', '.join(kinds)}"


def placeholder_values(path: Path) -> dict[str, str]:
    """A placeholder value for each parameter of the sample that has none."""
    from dp_airflow.validate.validation import validate_file

    result = validate_file(path, build_models=False)
    missing = {d.object_id for d in result.diagnostics if d.code == "parameter-missing-value"}
    return {p: _placeholder(p) for p in sorted(m for m in missing if m)}


def _placeholder(parameter: str) -> str:
    lowered = parameter.lower()
    if "ratio" in lowered or "percent" in lowered or "throughput" in lowered:
        return "0.25"
    if "count" in lowered or "number" in lowered:
        return "2"
    if any(k in lowered for k in ("s3", "loc", "path", "uri", "bucket", "folder")):
        return "s3://placeholder-bucket/path"
    if "region" in lowered:
        return "us-east-1"
    return "placeholder"


def actual() -> dict[str, str]:
    return {str(path.relative_to(CORPUS)): outcome(path) for path in samples()}


if __name__ == "__main__":
    import os

    os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
    data = actual()
    EXPECTED.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    print(f"{len(data)} samples recorded in {EXPECTED}", file=sys.stderr)

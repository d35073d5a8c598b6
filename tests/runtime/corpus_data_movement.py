"""Which corpus samples of the data-movement kinds translate to a DAG that serializes.

Run ``python -m tests.runtime.corpus_data_movement`` to rewrite corpus_data_movement.json.
Samples whose only errors are parameters left for activation time get placeholder values
(the test reports that); anything else must validate as it is.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

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
    """``dag`` (with the task kinds), ``dag with placeholder parameters``, or why not."""
    from airflow.serialization.serialized_objects import DagSerialization

    from dp_airflow.definition.validate import validate_file
    from dp_airflow.errors import DpAirflowError
    from dp_airflow.loader import build_dags

    result = validate_file(path, build_models=False)
    errors = [d for d in result.diagnostics if d.is_error]
    missing = {d.object_id for d in errors if d.code == "parameter-missing-value"}
    others = sorted({d.code for d in errors if d.code != "parameter-missing-value"})
    if others:
        return "invalid: " + ", ".join(others)
    if not result.definitions:
        return "invalid: no pipeline"
    prefix = "dag"
    with tempfile.TemporaryDirectory() as tmp:
        target = path
        if missing or path.suffix != ".json" or len(result.definitions) > 1:
            document = with_placeholders(result.definitions[0], missing)
            target = Path(tmp) / "sample.json"
            target.write_text(json.dumps(document))
            if missing:
                prefix = "dag with placeholder parameters"
        try:
            dags = build_dags(target, catchup=False)
        except DpAirflowError as exc:
            return f"not translated: {str(exc).splitlines()[0][:160]}"
    kinds = sorted({type(t).__name__ for dag in dags for t in dag.tasks})
    for dag in dags:
        DagSerialization.to_dict(dag)
    return f"{prefix}: {', '.join(kinds)}"


def with_placeholders(definition: Any, missing: set[str | None]) -> dict[str, Any]:
    """The definition in CLI form, with a placeholder value for each parameter in ``missing``."""
    from dp_airflow.definition.convert import to_cli

    document = to_cli(definition, reveal_secrets=True)
    values = document.setdefault("values", {})
    for parameter in sorted(p for p in missing if p):
        values[parameter] = _placeholder(parameter)
    return document


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

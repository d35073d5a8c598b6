"""Run the corpus samples of the data-movement kinds that translate, end to end, against moto.

``python -m tests.runtime.corpus_runs`` rewrites corpus_runs.json; test_corpus_runs.py checks it.
Each sample gets placeholder values for parameters left to activation time (in a values file
beside it, as a user would give them), and a seeded moto
(every bucket its text names, an object at every input ``filePath``, a one-item table for every
DynamoDB table). Retries are turned off and sensors give up after 5 s. EMR steps are finished by
the test thread of test_emr. Databases are not reachable (their hosts are the samples' own), so
samples needing one end with the connection error, which is recorded as the reason.
"""

from __future__ import annotations

import contextlib
import json
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

from tests.runtime.corpus_data_movement import CORPUS, EXPECTED, placeholder_values

RUNS = Path(__file__).with_name("corpus_runs.json")


def _document(path: Path) -> dict[str, Any]:
    """The sample's first pipeline in the CLI file format (what its seed is read from)."""
    from dp_airflow.read.convert import to_cli
    from dp_airflow.validate.validation import validate_file

    result = validate_file(path, build_models=False)
    return to_cli(result.definitions[0], reveal_secrets=True)


def _seed(document: dict[str, Any], client: Any) -> None:
    text = json.dumps(document)
    s3, dynamodb = client("s3"), client("dynamodb")
    buckets = set(re.findall(r"s3://([a-z0-9][a-z0-9.-]{2,62})", text)) | {"placeholder-bucket"}
    for bucket in buckets:
        with contextlib.suppress(Exception):  # a name moto refuses: the sample can't use it either
            s3.create_bucket(Bucket=bucket)
    tables = {"placeholder"} | set(
        re.findall(r"DynamoDb(?:Export|Import),[^,]*,([A-Za-z0-9_.-]+)", text)
    )
    for key, value in document.get("values", {}).items():  # table names given as parameters
        if "table" in key.lower() and isinstance(value, str):
            tables.add(value)
    for obj in document["objects"]:
        table = obj.get("tableName")
        if obj.get("type") == "DynamoDBDataNode" and isinstance(table, str) and "#{" not in table:
            tables.add(table)
    for name in tables:
        with contextlib.suppress(Exception):  # already there
            dynamodb.create_table(
                TableName=name,
                KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                BillingMode="PAY_PER_REQUEST",
            )
            dynamodb.put_item(TableName=name, Item={"id": {"S": "1"}})
    for obj in document["objects"]:
        path = obj.get("filePath")
        if isinstance(path, str) and path.startswith("s3://") and "#{" not in path:
            bucket, _, key = path[5:].partition("/")
            if bucket in buckets:
                s3.put_object(Bucket=bucket, Key=key, Body=b"1,hello\n")


def run_sample(path: Path, client: Any, reset: Any) -> dict[str, Any]:
    import pendulum

    from dp_airflow.loader import file_dags
    from tests.conftest import sync_dag_to_db, task_states

    reset()
    document = _document(path)
    values = placeholder_values(path)
    _seed({**document, "values": {**document.get("values", {}), **values}}, client)
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "sample.json"
        target.write_text(json.dumps(document))
        Path(tmp, "sample.values.json").write_text(json.dumps({"values": values}))
        (dag,) = file_dags(target, catchup=False)[:1]
    for task in dag.tasks:
        task.retries = 0
        if hasattr(task, "poke_interval"):
            task.poke_interval, task.timeout = 1, 5
        if hasattr(task, "poll_seconds"):
            task.poll_seconds = 0.2
    sync_dag_to_db(dag)
    run = dag.test(logical_date=pendulum.datetime(2024, 5, 6, tz="UTC"))
    states = task_states(run)
    return {"state": str(run.state), "tasks": dict(sorted(states.items()))}


def samples() -> list[Path]:
    expected = json.loads(EXPECTED.read_text())
    return [
        CORPUS / name for name, outcome in sorted(expected.items()) if outcome.startswith("dag")
    ]


if __name__ == "__main__":
    print("run it through test_corpus_runs.py with DP_RECORD=1", file=sys.stderr)

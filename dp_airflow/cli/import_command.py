"""``dp-airflow import``: every pipeline of an AWS account, as pipeline folders the loader reads.

For each pipeline: ``DIR/<dag id>/definition.json`` (the CLI file format with its parameter
objects), ``values.json`` when it has values, and ``pipeline.json`` (id, name, description,
unique id, tags, state, time of import, the secrets left out). The DAG id is a readable slug of
the pipeline's name, unique within DIR (a clash gets a suffix from the pipeline id). Values of
``*`` parameters and literal ``*`` fields are never written in plain text unless
``--reveal-secrets``: they are left for Airflow Variables (and connections) and listed.

Credentials: boto3's standard chain, ``--profile``, ``--region``, ``--endpoint-url`` (boto3
also honours ``AWS_ENDPOINT_URL``); throttled calls are retried (botocore's standard mode).
"""

from __future__ import annotations

import argparse
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The ``import`` subcommand and its options."""
    parser = commands.add_parser(
        "import",
        help="import pipelines from an AWS account as pipeline folders",
        description="Read pipelines with ListPipelines, DescribePipelines and "
        "GetPipelineDefinition and write one pipeline folder each (definition.json, values.json, "
        "pipeline.json) under --out. Exit 0 when every pipeline was imported, 1 when some failed "
        "(each named with the reason), 2 when the account cannot be read.",
    )
    parser.add_argument("--pipeline-id", nargs="+", action="extend", default=[], metavar="ID")
    parser.add_argument("--out", default=".", metavar="DIR")
    parser.add_argument("--overwrite", action="store_true", help="replace existing folders")
    parser.add_argument("--region")
    parser.add_argument("--profile")
    parser.add_argument("--endpoint-url")
    parser.add_argument(
        "--reveal-secrets",
        action="store_true",
        help="write the values of '*' parameters and fields in plain text",
    )


@dataclass
class Imported:
    """What became of one pipeline of the account."""

    pipeline_id: str
    name: str
    dag_id: str = ""
    folder: str = ""
    error: str | None = None
    secrets: list[str] = field(default_factory=list)
    diagnostics: int = 0


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Import the account's pipelines as pipeline folders; the exit code."""
    import botocore.exceptions

    try:
        client = _client(args)
        ids = args.pipeline_id or _all_ids(client)
        descriptions = _describe(client, ids)
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
        print(f"dp-airflow import: cannot read the account's pipelines: {exc}", file=err)
        return 2
    target = Path(args.out)
    target.mkdir(parents=True, exist_ok=True)
    taken: set[str] = set()
    results = []
    for pipeline_id in ids:
        description = descriptions.get(pipeline_id)
        if description is None:
            results.append(Imported(pipeline_id, "?", error="no such pipeline"))
        else:
            result = _import_one(client, description, target, taken, args)
            results.append(result)
        _progress(results[-1], out)
    failed = [r for r in results if r.error]
    print(
        f"{len(results) - len(failed)} of {len(results)} pipeline(s) imported into {target}"
        + (f"; {len(failed)} failed" if failed else ""),
        file=out,
    )
    secrets = [s for r in results for s in r.secrets]
    if secrets and not args.reveal_secrets:
        print(
            "secret values not written (give them as Airflow Variables <dag id>__<id>, or "
            "database passwords as Airflow connections): " + ", ".join(secrets),
            file=out,
        )
    return 1 if failed else 0


def _client(args: argparse.Namespace) -> Any:
    import boto3
    from botocore.config import Config

    session = boto3.Session(profile_name=args.profile, region_name=args.region)
    config = Config(retries={"mode": "standard", "max_attempts": 10})
    return session.client("datapipeline", endpoint_url=args.endpoint_url, config=config)


def _all_ids(client: Any) -> list[str]:
    ids: list[str] = []
    for page in client.get_paginator("list_pipelines").paginate():
        ids += [p["id"] for p in page.get("pipelineIdList", [])]
    return ids


def _describe(client: Any, ids: list[str]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for start in range(0, len(ids), 25):  # DescribePipelines takes at most 25 ids
        found = client.describe_pipelines(pipelineIds=ids[start : start + 25])
        out.update({d["pipelineId"]: d for d in found["pipelineDescriptionList"]})
    return out


def _progress(result: Imported, out: TextIO) -> None:
    if result.error:
        print(f"  FAILED {result.pipeline_id} ({result.name}): {result.error}", file=out)
        return
    note = (
        f", {result.diagnostics} validation error(s): see dp-airflow validate"
        if (result.diagnostics)
        else ""
    )
    print(f"  {result.pipeline_id} ({result.name}) -> {result.folder}{note}", file=out)


def slug(name: str) -> str:
    """A readable DAG id from a pipeline name: ``Orders Daily (prod)`` → ``orders-daily-prod``."""
    text = re.sub(r"[^a-z0-9_.-]+", "-", name.strip().lower()).strip("-.")
    return text or "pipeline"


def _import_one(
    client: Any,
    description: dict[str, Any],
    target: Path,
    taken: set[str],
    args: argparse.Namespace,
) -> Imported:
    import botocore.exceptions

    from dp_airflow.discovery import FOLDER_DEFINITION, FOLDER_RECORD, FOLDER_VALUES

    pipeline_id, name = description["pipelineId"], description.get("name", "")
    result = Imported(pipeline_id, name)
    dag_id = slug(name)
    if dag_id in taken or _owner(target / dag_id) not in (None, pipeline_id):
        # Another pipeline has this name (in this import, or in an earlier one).
        dag_id = f"{dag_id}-{pipeline_id.removeprefix('df-')[-6:].lower()}"
    folder = target / dag_id
    if folder.exists() and not args.overwrite:
        result.error = f"{folder} exists (use --overwrite to replace it)"
        return result
    try:
        definition = client.get_pipeline_definition(pipelineId=pipeline_id)
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
        result.error = f"GetPipelineDefinition failed: {exc}"
        return result
    document, values, secrets = _cli_documents(definition, args.reveal_secrets)
    fields = {f["key"]: f.get("stringValue") for f in description.get("fields", [])}
    record = {
        "pipelineId": pipeline_id,
        "name": name,
        "description": description.get("description") or fields.get("description"),
        "uniqueId": fields.get("uniqueId"),
        "tags": {t["key"]: t["value"] for t in description.get("tags", [])},
        "state": fields.get("@pipelineState"),
        "importedAt": datetime.now(UTC).isoformat(timespec="seconds"),
        "secretsNotWritten": secrets if not args.reveal_secrets else [],
    }
    files = {FOLDER_DEFINITION: document, FOLDER_RECORD: record}
    if values:
        files[FOLDER_VALUES] = {"values": values}
    try:
        _replace_folder(folder, files)
    except OSError as exc:
        result.error = f"cannot write {folder}: {exc}"
        return result
    taken.add(dag_id)
    result.dag_id, result.folder, result.secrets = (
        dag_id,
        str(folder),
        [f"{dag_id}: {s}" for s in secrets],
    )
    result.diagnostics = _errors(folder / FOLDER_DEFINITION)
    return result


def _owner(folder: Path) -> str | None:
    """The pipeline id a folder was imported from: None when there is no folder, ``""`` for a
    folder that is not an import."""
    from dp_airflow.discovery import FOLDER_RECORD

    if not folder.exists():
        return None
    try:
        return str(json.loads((folder / FOLDER_RECORD).read_text()).get("pipelineId", ""))
    except (OSError, ValueError):
        return ""


def _cli_documents(
    definition: dict[str, Any], reveal: bool
) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
    """The definition in the CLI file format (objects and parameters), its values, and the
    secrets left out."""
    from dp_airflow.read.convert import MASK, to_cli
    from dp_airflow.read.readers import read_text

    api = {
        "pipelineObjects": definition.get("pipelineObjects", []),
        "parameterObjects": definition.get("parameterObjects", []),
        "parameterValues": definition.get("parameterValues", []),
    }
    (raw,) = read_text(json.dumps(api), "GetPipelineDefinition").definitions[:1]
    document = to_cli(raw, reveal_secrets=reveal)
    values = document.pop("values", {})
    secrets = [
        f"{obj['id']}.{key}"
        for obj in document["objects"]
        for key, value in obj.items()
        if key.startswith("*") and value == MASK
    ]
    kept = {}
    for key, value in values.items():
        if key.startswith("*") and not reveal:
            secrets.append(key)
            continue
        kept[key] = value
    return document, kept, secrets


def _errors(path: Path) -> int:
    from dp_airflow.read.inputs import read_pipeline
    from dp_airflow.validate.validation import validate_loaded

    result = validate_loaded(read_pipeline(path), build_models=False)
    return sum(d.is_error for d in result.diagnostics)


def _write(path: Path, content: dict[str, Any]) -> None:
    path.write_text(json.dumps(content, indent=2, ensure_ascii=False) + "\n")


def _replace_folder(folder: Path, files: dict[str, dict[str, Any]]) -> None:
    """Write the folder whole or not at all: the files go into a hidden sibling (discovery
    skips hidden paths), which then takes the folder's place in one rename."""
    import shutil
    import tempfile

    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        for name, content in files.items():
            _write(staging / name, content)
        if folder.exists():
            replaced = staging.with_name(staging.name + ".replaced")
            folder.rename(replaced)
            staging.rename(folder)
            shutil.rmtree(replaced, ignore_errors=True)
        else:
            staging.rename(folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise

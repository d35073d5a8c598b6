"""``stage: true`` for ShellCommandActivity: S3 data nodes as local directories.

Input ``n`` (1-based) is downloaded to ``$INPUTn_STAGING_DIR``; after the command succeeds, the
files in ``$OUTPUTn_STAGING_DIR`` are uploaded to output ``n``. Nothing is uploaded when the
command fails, so a failed run leaves no partial output; a rerun overwrites the same keys.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from airflow.providers.amazon.aws.hooks.s3 import S3Hook

from dp_airflow.expressions.evaluate import render
from dp_airflow.expressions.scope import InstanceScope
from dp_airflow.operators.s3_streams import whole_directory


def node_location(scope: InstanceScope) -> tuple[str, bool]:
    """(S3 URL, is a directory) of the data node ``scope`` is for."""
    node = scope.env.objects[scope.object_id or ""]
    directory = node.value_text("directoryPath")
    text = directory if directory is not None else node.value_text("filePath") or ""
    value = render(text, scope)
    return (value if isinstance(value, str) else ",".join(value)), directory is not None


def directory_prefix(key: str) -> str:
    """An S3 key as a directory prefix: ``a/b`` → ``a/b/`` (the bucket root stays ``""``)."""
    return key if key.endswith("/") or not key else key + "/"


def download(hook: S3Hook, url: str, is_directory: bool, target: Path) -> int:
    """An input staged into ``target``: the object, or every object under the prefix."""
    bucket, key = S3Hook.parse_s3_url(url)
    if not is_directory:
        (target / Path(key).name).write_bytes(hook.get_key(key, bucket).get()["Body"].read())
        return 1
    prefix = directory_prefix(key)
    count = 0
    for name in hook.list_keys(bucket, prefix=prefix) or []:
        relative = name[len(prefix) :]
        if not relative or relative.endswith("/"):
            continue
        destination = target / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_bytes(hook.get_key(name, bucket).get()["Body"].read())
        count += 1
    return count


def upload(hook: S3Hook, source: Path, url: str, is_directory: bool, encrypt: bool = True) -> int:
    """Upload a staged output; ``encrypt``: SSE-S3 (``s3EncryptionType``). A directory that
    fails part-way has the objects already written deleted."""
    bucket, key = S3Hook.parse_s3_url(url)
    files = sorted(p for p in source.rglob("*") if p.is_file())
    if not is_directory:
        if len(files) != 1:
            raise ValueError(f"output {url} is a file path; the command wrote {len(files)} files")
        hook.load_file(str(files[0]), key, bucket, replace=True, encrypt=encrypt)
        return 1
    prefix = directory_prefix(key)
    with whole_directory(hook.get_conn(), bucket) as written:
        for path in files:
            target = prefix + path.relative_to(source).as_posix()
            hook.load_file(str(path), target, bucket, replace=True, encrypt=encrypt)
            written.append(target)
    return len(files)


def new_hook(aws_conn_id: str | None) -> Any:
    """The S3 hook of the task's AWS connection."""
    return S3Hook(aws_conn_id=aws_conn_id)

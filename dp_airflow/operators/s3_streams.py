"""Streaming S3 reads and atomic streaming writes with bounded memory.

A write is one S3 multipart upload: parts of ``PART_SIZE`` bytes are sent as they fill, and the
object appears only when the upload completes; on any error the upload is aborted, so readers never
see a partial object. Memory holds one part at a time, whatever the size. A process killed with
SIGKILL cannot abort its upload: the next write of the same key (the retry or rerun) aborts such
leftovers before it starts, as they are invisible to readers but billed.
"""

from __future__ import annotations

import gzip
import io
import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

PART_SIZE = 8 * 1024 * 1024
LOG = logging.getLogger(__name__)


class MultipartWriter(io.RawIOBase):
    """A binary file object uploading to ``s3://bucket/key``: ``commit`` makes the object
    appear, ``abort`` discards every part sent."""

    def __init__(
        self,
        client: Any,
        bucket: str,
        key: str,
        part_size: int = PART_SIZE,
        extra: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__()
        self.client, self.bucket, self.key, self.part_size = client, bucket, key, part_size
        self.extra = dict(extra or {})
        """Arguments of the request that creates the object (server-side encryption)."""
        self._buffer = bytearray()
        self._upload_id: str | None = None
        self._parts: list[dict[str, Any]] = []
        self.bytes_written = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        view = bytes(data)
        self._buffer += view
        self.bytes_written += len(view)
        while len(self._buffer) >= self.part_size:
            self._send(bytes(self._buffer[: self.part_size]))
            del self._buffer[: self.part_size]
        return len(view)

    def _send(self, chunk: bytes) -> None:
        if self._upload_id is None:
            self._abort_leftovers()
            started = self.client.create_multipart_upload(
                Bucket=self.bucket, Key=self.key, **self.extra
            )
            self._upload_id = started["UploadId"]
        number = len(self._parts) + 1
        sent = self.client.upload_part(
            Bucket=self.bucket,
            Key=self.key,
            UploadId=self._upload_id,
            PartNumber=number,
            Body=chunk,
        )
        self._parts.append({"PartNumber": number, "ETag": sent["ETag"]})

    def _abort_leftovers(self) -> None:
        """Aborts incomplete uploads of this very key, left by an attempt killed mid-write."""
        from botocore.exceptions import ClientError

        try:
            listed = self.client.list_multipart_uploads(Bucket=self.bucket, Prefix=self.key)
            for upload in listed.get("Uploads", []):
                if upload["Key"] == self.key:
                    self.client.abort_multipart_upload(
                        Bucket=self.bucket, Key=self.key, UploadId=upload["UploadId"]
                    )
        except ClientError as exc:  # e.g. no s3:ListBucketMultipartUploads
            LOG.info("not cleaning up earlier incomplete uploads of %s: %s", self.key, exc)

    def commit(self) -> None:
        if self._upload_id is None:  # small: one PUT is just as atomic
            self.client.put_object(
                Bucket=self.bucket, Key=self.key, Body=bytes(self._buffer), **self.extra
            )
        else:
            if self._buffer:
                self._send(bytes(self._buffer))
            self.client.complete_multipart_upload(
                Bucket=self.bucket,
                Key=self.key,
                UploadId=self._upload_id,
                MultipartUpload={"Parts": self._parts},
            )
        self._buffer.clear()

    def abort(self) -> None:
        if self._upload_id is not None:
            self.client.abort_multipart_upload(
                Bucket=self.bucket, Key=self.key, UploadId=self._upload_id
            )
            self._upload_id = None
        self._buffer.clear()


@contextmanager
def whole_directory(client: Any, bucket: str) -> Iterator[list[str]]:
    """The keys a directory write adds to the list it yields are deleted again if the block
    fails: a directory appears whole or, as far as this attempt wrote it, not at all."""
    written: list[str] = []
    try:
        yield written
    except BaseException:
        for key in written:
            client.delete_object(Bucket=bucket, Key=key)
        raise


@contextmanager
def s3_text_output(
    client: Any,
    bucket: str,
    key: str,
    compression: str | None,
    extra: Mapping[str, str] | None = None,
) -> Iterator[io.TextIOWrapper[Any]]:
    """A text stream that becomes ``s3://bucket/key`` (gzip when the node says so) if the block
    ends without error, and nothing otherwise; ``extra`` goes to the creating request."""
    raw = MultipartWriter(client, bucket, key, extra=extra)
    zipped = gzip.GzipFile(fileobj=raw, mode="wb") if _gzip(compression) else None
    binary: Any = zipped or raw
    text = io.TextIOWrapper(binary, encoding="utf-8", newline="")
    try:
        yield text
        text.flush()
        text.detach()
        if zipped is not None:
            zipped.close()  # writes the gzip trailer into ``raw``; leaves ``raw`` open
        raw.commit()
    except BaseException:
        raw.abort()
        raise


def _gzip(compression: str | None) -> bool:
    return (compression or "none").strip().lower() == "gzip"


def read_binary(client: Any, bucket: str, key: str, compression: str | None) -> Any:
    """The object as a binary stream with ``read`` (gunzipped when the node says gzip)."""
    body = client.get_object(Bucket=bucket, Key=key)["Body"]
    return gzip.GzipFile(fileobj=body, mode="rb") if _gzip(compression) else body


def read_text(client: Any, bucket: str, key: str, compression: str | None) -> Iterator[str]:
    """The object's lines, streamed (gunzipped when the node says gzip)."""
    binary = read_binary(client, bucket, key, compression)
    yield from io.TextIOWrapper(binary, encoding="utf-8", newline="")


def list_objects(client: Any, bucket: str, prefix: str) -> list[str]:
    """Keys of the files under ``prefix`` (folder markers left out), in order."""
    keys: list[str] = []
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys.extend(o["Key"] for o in page.get("Contents", []) if not o["Key"].endswith("/"))
    return sorted(keys)


def encrypts(operator: Any) -> bool:
    """Whether objects this task writes get server-side encryption (SSE-S3).

    ``s3EncryptionType`` of the task's object: ``SERVER_SIDE_ENCRYPTION`` (Data Pipeline's
    default) or ``NONE``."""
    objects = getattr(getattr(operator, "pipeline", None), "objects", {})
    obj = objects.get(getattr(operator, "object_id", ""))
    text = obj.value_text("s3EncryptionType") if obj is not None else None
    return (text or "SERVER_SIDE_ENCRYPTION").strip().upper() != "NONE"


def encryption_args(operator: Any) -> dict[str, str]:
    """Arguments of an S3 request creating an object, for ``operator``'s encryption."""
    return {"ServerSideEncryption": "AES256"} if encrypts(operator) else {}

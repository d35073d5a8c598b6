"""EmrActivity steps that run DynamoDbExport / DynamoDbImport, done without an EMR cluster.

Export: a Scan of the table written as JSON lines to ``<path>/part-00000`` (one multipart upload:
whole or nothing), then an empty ``_SUCCESS`` marker. Import: every object under the path (markers
and names starting with ``_`` left out) batch-written to the table; puts are upserts, so a rerun
gives the same table. The step's throughput ratio caps the read (or write) capacity used per
second at that share of the table's provisioned capacity; on-demand tables are not capped.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any

from dp_airflow.emr.dynamodb_tools import ToolStep, from_tool_json, parse_tool_step, to_tool_json
from dp_airflow.operators.base import DataPipelineOperator
from dp_airflow.operators.dynamodb_client import dynamodb_client
from dp_airflow.operators.s3_streams import (
    encryption_args,
    list_objects,
    read_text,
    s3_text_output,
)
from dp_airflow.operators.staging import directory_prefix
from dp_airflow.runtime.compat import AirflowFailException
from dp_airflow.schedule.model import Instance

BATCH = 25


class CapacityLimiter:
    """Keeps capacity units consumed per second at or under ``rate`` (None: no cap)."""

    def __init__(self, rate: float | None) -> None:
        self.rate = rate
        self.started = time.monotonic()
        self.used = 0.0

    def consumed(self, units: float) -> None:
        if not self.rate:
            return
        self.used += units
        ahead = self.used / self.rate - (time.monotonic() - self.started)
        if ahead > 0:
            time.sleep(ahead)


class DynamoDBExportImportOperator(DataPipelineOperator):
    """Runs an EmrActivity's DynamoDbExport / DynamoDbImport steps natively."""

    template_fields: Sequence[str] = ()
    ui_color = "#e8daef"

    def __init__(self, *, aws_conn_id: str | None = "aws_default", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.aws_conn_id = aws_conn_id

    def run_instance(self, context: Any, instance: Instance) -> None:
        for text in self.field_values(self.object_id, "step", instance):
            try:
                step = parse_tool_step(text)
            except ValueError as exc:
                raise AirflowFailException(f"{self.object_id}: {exc}") from None
            if step.action == "export":
                self._export(step)
            else:
                self._import(step)

    def _clients(self) -> tuple[Any, Any]:
        from airflow.providers.amazon.aws.hooks.s3 import S3Hook

        dynamodb = dynamodb_client(self.aws_conn_id)
        return dynamodb, S3Hook(aws_conn_id=self.aws_conn_id).get_conn()

    def _limit(self, dynamodb: Any, step: ToolStep, kind: str) -> CapacityLimiter:
        table = dynamodb.describe_table(TableName=step.table)["Table"]
        provisioned = table.get("ProvisionedThroughput", {}).get(f"{kind}CapacityUnits", 0)
        rate = provisioned * step.throughput_ratio if provisioned else None
        self.log.info(
            "%s: %s %s, %s capacity cap %s units/s",
            self.object_id,
            step.action,
            step.table,
            kind.lower(),
            rate if rate else "none (on-demand)",
        )
        return CapacityLimiter(rate)

    def _export(self, step: ToolStep) -> None:
        from airflow.providers.amazon.aws.hooks.s3 import S3Hook

        dynamodb, s3 = self._clients()
        limiter = self._limit(dynamodb, step, "Read")
        bucket, key = S3Hook.parse_s3_url(step.s3_path)
        prefix = directory_prefix(key)
        count = 0
        extra = encryption_args(self)
        with s3_text_output(s3, bucket, prefix + "part-00000", None, extra) as out:
            pages = dynamodb.get_paginator("scan").paginate(
                TableName=step.table, ReturnConsumedCapacity="TOTAL"
            )
            for page in pages:
                for item in page.get("Items", []):
                    out.write(json.dumps(to_tool_json(item), separators=(",", ":")) + "\n")
                    count += 1
                limiter.consumed(page.get("ConsumedCapacity", {}).get("CapacityUnits", 0))
        s3.put_object(Bucket=bucket, Key=prefix + "_SUCCESS", Body=b"", **extra)
        self.log.info(
            "%s: exported %d item(s) to s3://%s/%s", self.object_id, count, bucket, prefix
        )

    def _import(self, step: ToolStep) -> None:
        from airflow.providers.amazon.aws.hooks.s3 import S3Hook

        dynamodb, s3 = self._clients()
        limiter = self._limit(dynamodb, step, "Write")
        bucket, key = S3Hook.parse_s3_url(step.s3_path)
        prefix = directory_prefix(key)
        keys = [k for k in list_objects(s3, bucket, prefix) if not k[len(prefix) :].startswith("_")]
        batch: list[dict[str, Any]] = []
        count = 0
        for name in keys:
            for number, line in enumerate(read_text(s3, bucket, name, None), start=1):
                if not line.strip():
                    continue
                try:
                    item = from_tool_json(json.loads(line))
                except (ValueError, AttributeError) as exc:
                    raise AirflowFailException(
                        f"{self.object_id}: s3://{bucket}/{name} line {number}: not an item in "
                        f"the DynamoDB export format ({exc})"
                    ) from None
                batch.append({"PutRequest": {"Item": item}})
                if len(batch) == BATCH:
                    count += self._write(dynamodb, step.table, batch, limiter)
                    batch = []
        if batch:
            count += self._write(dynamodb, step.table, batch, limiter)
        self.log.info("%s: imported %d item(s) into %s", self.object_id, count, step.table)

    @staticmethod
    def _write(
        dynamodb: Any, table: str, batch: list[dict[str, Any]], limiter: CapacityLimiter
    ) -> int:
        pending, delay = batch, 0.05
        while pending:
            answer = dynamodb.batch_write_item(
                RequestItems={table: pending}, ReturnConsumedCapacity="TOTAL"
            )
            for used in answer.get("ConsumedCapacity", []):
                limiter.consumed(used.get("CapacityUnits", 0))
            pending = answer.get("UnprocessedItems", {}).get(table, [])
            if pending:  # throttled: back off, then send what was not written
                time.sleep(delay)
                delay = min(delay * 2, 5.0)
        return len(batch)

"""EmrCluster as a setup task, its activities as EMR steps, and a teardown that ends the cluster.

``EmrClusterOperator`` starts the cluster (RunJobFlow through the provider's EmrHook) and waits
until it accepts steps; its return value (XCom) is the cluster id. ``EmrStepsOperator`` adds an
activity's steps and waits for each, failing with EMR's reason and log file; ``terminateAfter``
is enforced there (a cluster older than it fails the step as TIMEDOUT). The teardown is the
provider's ``EmrTerminateJobFlowOperator``, which Airflow runs even when activities fail.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from airflow.providers.amazon.aws.hooks.emr import EmrHook
from airflow.providers.amazon.aws.links.emr import EmrClusterLink, EmrLogsLink

from dp_airflow import settings
from dp_airflow.emr import steps as emr_steps
from dp_airflow.emr.cluster import configuration, job_flow_request
from dp_airflow.emr.steps import NodeInfo, StepError
from dp_airflow.model.slots import LiteralError, parse_period
from dp_airflow.operators.base import DataPipelineOperator
from dp_airflow.runtime.compat import AirflowException, AirflowFailException
from dp_airflow.schedule.model import Instance

CLUSTER_FIELDS = (
    "releaseLabel",
    "amiVersion",
    "applications",
    "bootstrapAction",
    "masterInstanceType",
    "coreInstanceType",
    "taskInstanceType",
    "coreInstanceCount",
    "taskInstanceCount",
    "masterInstanceBidPrice",
    "coreInstanceBidPrice",
    "taskInstanceBidPrice",
    "subnetId",
    "keyPair",
    "keypair",
    "availabilityZone",
    "emrManagedMasterSecurityGroupId",
    "emrManagedSlaveSecurityGroupId",
    "serviceAccessSecurityGroupId",
    "additionalMasterSecurityGroupIds",
    "additionalSlaveSecurityGroupIds",
    "role",
    "resourceRole",
    "emrLogUri",
)
READY_STATES = frozenset({"WAITING", "RUNNING"})
ENDED_STATES = frozenset({"TERMINATING", "TERMINATED", "TERMINATED_WITH_ERRORS"})
STEP_FAILED = frozenset({"FAILED", "CANCELLED", "INTERRUPTED", "CANCEL_PENDING"})


class _EmrBase(DataPipelineOperator):
    template_fields: Sequence[str] = ()

    def __init__(
        self,
        *,
        aws_conn_id: str | None = "aws_default",
        poll_seconds: float | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.aws_conn_id = aws_conn_id
        self.poll_seconds = settings.EMR_POLL_SECONDS if poll_seconds is None else poll_seconds

    def _hook(self, region: str | None) -> EmrHook:
        return EmrHook(aws_conn_id=self.aws_conn_id, region_name=region or None)


class EmrClusterOperator(_EmrBase):
    """Starts the EmrCluster object's cluster; returns its id."""

    ui_color = "#fde9d9"
    operator_extra_links = (EmrClusterLink(),)

    def run_instance(self, context: Any, instance: Instance) -> str:
        fields = {
            name: self.field_values(self.object_id, name, instance) for name in CLUSTER_FIELDS
        }
        region = self.field_value(self.object_id, "region", instance)
        log_uri = self.field_value(self.object_id, "pipelineLogUri", instance)
        request = job_flow_request(
            f"{self.dag_id}.{self.object_id}",
            fields,
            self._configurations(self.object_id, instance),
            log_uri,
        )
        hook = self._hook(region)
        cluster_id = str(hook.conn.run_job_flow(**request)["JobFlowId"])
        self.log.info(
            "%s: started EMR cluster %s (%s)", self.object_id, cluster_id, request["ReleaseLabel"]
        )
        EmrClusterLink.persist(
            context=context,
            operator=self,
            region_name=hook.conn_region_name,
            aws_partition=hook.conn_partition,
            job_flow_id=cluster_id,
        )
        limit = self._period_seconds("initTimeout", instance) or 3600
        deadline = time.monotonic() + limit
        while True:
            status = hook.conn.describe_cluster(ClusterId=cluster_id)["Cluster"]["Status"]
            if status["State"] in READY_STATES:
                return cluster_id
            if status["State"] in ENDED_STATES:
                reason = status.get("StateChangeReason", {}).get("Message", "")
                raise AirflowException(f"{self.object_id}: cluster {cluster_id} ended: {reason}")
            if time.monotonic() > deadline:
                raise AirflowException(
                    f"{self.object_id}: cluster {cluster_id} not ready within {limit} s"
                )
            time.sleep(self.poll_seconds)

    def _period_seconds(self, name: str, instance: Instance) -> int | None:
        text = self.field_value(self.object_id, name, instance)
        try:
            return parse_period(text).approximate_minutes() * 60 if text else None
        except LiteralError:
            return None

    def _configurations(self, object_id: str, instance: Instance) -> list[dict[str, Any]]:
        out = []
        for ref in self.pipeline.objects[object_id].ref_ids("configuration"):
            if ref not in self.pipeline.objects:
                continue
            properties = {}
            for prop in self.pipeline.objects[ref].ref_ids("property"):
                if prop in self.pipeline.objects:
                    key = self.field_value(prop, "key", instance) or ""
                    properties[key] = self.field_value(prop, "value", instance) or ""
            classification = self.field_value(ref, "classification", instance) or ""
            out.append(
                configuration(classification, properties, self._configurations(ref, instance))
            )
        return out


class EmrStepsOperator(_EmrBase):
    """Runs an EMR activity's steps on the cluster started by ``cluster_task_id``."""

    ui_color = "#fcf3cf"
    operator_extra_links = (EmrClusterLink(), EmrLogsLink())

    def __init__(
        self,
        *,
        activity_type: str,
        cluster_object_id: str,
        cluster_task_id: str,
        inputs: Sequence[str] = (),
        outputs: Sequence[str] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.activity_type = activity_type
        self.cluster_object_id = cluster_object_id
        self.cluster_task_id = cluster_task_id
        self.inputs = list(inputs)
        self.outputs = list(outputs)
        self._cluster_id: str | None = None
        self._step_ids: list[str] = []
        self.emr_step_log: str | None = None

    def run_instance(self, context: Any, instance: Instance) -> None:
        cluster_id = context["ti"].xcom_pull(task_ids=self.cluster_task_id)
        if not cluster_id:
            raise AirflowFailException(
                f"{self.object_id}: no cluster from {self.cluster_task_id} in this run"
            )
        self._cluster_id = str(cluster_id)
        try:
            steps = self._steps(instance)
        except StepError as exc:
            raise AirflowFailException(str(exc)) from None
        region = self.field_value(self.cluster_object_id, "region", instance)
        hook = self._hook(region)
        cluster = hook.conn.describe_cluster(ClusterId=self._cluster_id)["Cluster"]
        for link in (EmrClusterLink, EmrLogsLink):
            link.persist(
                context=context,
                operator=self,
                region_name=hook.conn_region_name,
                aws_partition=hook.conn_partition,
                job_flow_id=self._cluster_id,
                log_uri=(cluster.get("LogUri") or "").replace("s3://", "").replace("s3n://", ""),
            )
        added = hook.conn.add_job_flow_steps(JobFlowId=self._cluster_id, Steps=steps)
        self._step_ids = list(added["StepIds"])
        self.log.info(
            "%s: added %d step(s) to %s: %s",
            self.object_id,
            len(steps),
            self._cluster_id,
            self._step_ids,
        )
        deadline = self._terminate_after(cluster, instance)
        for step_id in self._step_ids:
            self._wait(hook, step_id, deadline)

    def _terminate_after(self, cluster: dict[str, Any], instance: Instance) -> datetime | None:
        text = self.field_value(self.cluster_object_id, "terminateAfter", instance)
        created = cluster.get("Status", {}).get("Timeline", {}).get("CreationDateTime")
        if not text or created is None:
            return None
        try:
            seconds = parse_period(text).approximate_minutes() * 60
        except LiteralError:
            return None
        start: datetime = datetime.fromisoformat(created) if isinstance(created, str) else created
        if start.tzinfo is None:
            start = start.replace(tzinfo=UTC)
        return start + timedelta(seconds=seconds)

    def _wait(self, hook: EmrHook, step_id: str, deadline: datetime | None) -> None:
        while True:
            step = hook.conn.describe_step(ClusterId=self._cluster_id, StepId=step_id)["Step"]
            state = step["Status"]["State"]
            if state == "COMPLETED":
                self.log.info("%s: step %s (%s) completed", self.object_id, step_id, step["Name"])
                return
            if state in STEP_FAILED:
                details = step["Status"].get("FailureDetails", {})
                self.emr_step_log = details.get("LogFile")  # emrStepLog in the alarms
                raise AirflowException(
                    f"{self.object_id}: step {step_id} ({step['Name']}) {state}: "
                    f"{details.get('Reason', '')} {details.get('Message', '')} "
                    f"log: {details.get('LogFile', 'see the EMR Cluster Logs link')}".strip()
                )
            if deadline is not None and datetime.now(UTC) > deadline:
                hook.conn.cancel_steps(ClusterId=self._cluster_id, StepIds=[step_id])
                raise AirflowFailException(
                    f"{self.object_id}: TIMEDOUT: cluster {self._cluster_id} is older than "
                    f"{self.cluster_object_id}'s terminateAfter"
                )
            time.sleep(self.poll_seconds)

    def on_kill(self) -> None:
        if self._cluster_id and self._step_ids:
            self._hook(None).conn.cancel_steps(ClusterId=self._cluster_id, StepIds=self._step_ids)

    # --- steps per activity type ----------------------------------------------------------

    def _steps(self, instance: Instance) -> list[dict[str, Any]]:
        oid = self.object_id

        def values(name: str) -> list[str]:
            return self.field_values(oid, name, instance)

        def value(name: str) -> str | None:
            return self.field_value(oid, name, instance)

        stage = (value("stage") or "true").strip().lower() != "false"
        if self.activity_type == "EmrActivity":
            return emr_steps.emr_activity_steps(
                oid, values("step"), values("preStepCommand"), values("postStepCommand")
            )
        if self.activity_type == "HadoopActivity":
            return emr_steps.hadoop_activity_steps(
                oid,
                value("jarUri") or "",
                value("mainClass"),
                values("argument"),
                value("hadoopQueue"),
            )
        inputs = [self._node(n, instance) for n in self.inputs]
        outputs = [self._node(n, instance) for n in self.outputs]
        if self.activity_type == "HiveActivity":
            return emr_steps.hive_activity_steps(
                oid,
                value("hiveScript"),
                value("scriptUri"),
                values("scriptVariable"),
                inputs,
                outputs,
                stage,
            )
        if self.activity_type == "PigActivity":
            return emr_steps.pig_activity_steps(
                oid,
                value("script"),
                value("scriptUri"),
                values("scriptVariable"),
                inputs,
                outputs,
                stage,
            )
        if self.activity_type == "HiveCopyActivity":
            if not inputs or not outputs:
                raise StepError(f"{oid}: HiveCopyActivity needs an input and an output")
            return emr_steps.hive_copy_steps(oid, inputs[0], outputs[0], value("filterSql"))
        raise StepError(f"{oid}: {self.activity_type} is not an EMR activity")

    def _node(self, node_id: str, instance: Instance) -> NodeInfo:
        node = self.pipeline.objects[node_id]
        formats = [f for f in node.ref_ids("dataFormat") if f in self.pipeline.objects]
        columns: tuple[str, ...] = ()
        separator = ","
        export = bool(formats) and self.pipeline.objects[formats[0]].type == (
            "DynamoDBExportDataFormat"
        )
        if formats:
            columns = tuple(self.field_values(formats[0], "column", instance))
            fmt_type = self.pipeline.objects[formats[0]].type
            separator = self.field_value(formats[0], "columnSeparator", instance) or (
                "\t" if fmt_type == "TSV" else ","
            )
        if node.type == "DynamoDBDataNode":
            table = self.field_value(node_id, "tableName", instance) or ""
            return NodeInfo(node_id, "DynamoDB", table, columns, export_format=export)
        directory = self.field_value(node_id, "directoryPath", instance)
        if directory is None:
            file_path = self.field_value(node_id, "filePath", instance) or ""
            directory = file_path.rsplit("/", 1)[0] + "/"
        regex = None
        if formats and self.pipeline.objects[formats[0]].type == "RegEx":
            regex = (
                self.field_value(formats[0], "inputRegEx", instance) or "",
                self.field_value(formats[0], "outputFormat", instance) or "",
            )
        return NodeInfo(
            node_id, "S3", directory, columns, separator, export_format=export, regex=regex
        )

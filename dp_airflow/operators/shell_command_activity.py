"""ShellCommandActivity: a shell command on an Airflow worker."""

from __future__ import annotations

import os
import signal
import subprocess
from typing import Any

from airflow.sdk.exceptions import AirflowException

from dp_airflow.operators.base import DataPipelineOperator
from dp_airflow.schedule.model import Instance


class ShellCommandActivityOperator(DataPipelineOperator):
    """Runs ``command`` with ``bash -c``; ``scriptArgument`` values are ``$1 … $n``.

    Arguments are passed as real positional arguments, never spliced into the shell text. A
    non-zero exit fails the task; a timeout or kill ends the whole process group.

    :param command: the shell command (Data Pipeline expressions evaluated per instance).
    :param script_argument: positional arguments.
    """

    template_fields = ("command", "script_uri", "script_argument")
    template_fields_renderers = {"command": "bash"}  # noqa: RUF012 - Airflow's class attribute
    ui_color = "#f0ede4"

    def __init__(
        self,
        *,
        command: str = "",
        script_uri: str | None = None,
        script_argument: list[str] | None = None,
        aws_conn_id: str | None = "aws_default",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.command = command
        self.script_uri = script_uri
        self.aws_conn_id = aws_conn_id
        self.script_argument = list(script_argument or [])
        self._process: subprocess.Popen[bytes] | None = None

    def run_instance(self, context: Any, instance: Instance) -> None:
        if self.script_uri:
            argv = ["bash", self._fetch_script(), *self.script_argument]
        else:
            argv = ["bash", "-c", self.command, "bash", *self.script_argument]
        self.log.info("Running %s for %s", self.object_id, instance.scheduled_start.isoformat())
        self._process = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
        )
        assert self._process.stdout is not None
        for line in iter(self._process.stdout.readline, b""):
            self.log.info("%s", line.decode(errors="replace").rstrip("\n"))
        code = self._process.wait()
        if code != 0:
            raise AirflowException(f"{self.object_id}: the command exited with status {code}")

    def _fetch_script(self) -> str:
        """Download ``scriptUri`` from S3 to a private temporary file (run as ``bash FILE``)."""
        import tempfile

        from airflow.providers.amazon.aws.hooks.s3 import S3Hook

        bucket, key = S3Hook.parse_s3_url(self.script_uri or "")
        text = S3Hook(aws_conn_id=self.aws_conn_id).read_key(key, bucket)
        handle = tempfile.NamedTemporaryFile("w", suffix=".sh", delete=False)  # noqa: SIM115
        with handle:
            handle.write(text)
        return handle.name

    def on_kill(self) -> None:
        if self._process is not None and self._process.poll() is None:
            os.killpg(self._process.pid, signal.SIGTERM)

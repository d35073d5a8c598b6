"""ShellCommandActivity: a shell command on an Airflow worker."""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
from pathlib import Path
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

    template_fields = ("command", "script_uri", "script_argument", "stdout", "stderr")
    template_fields_renderers = {"command": "bash"}  # noqa: RUF012 - Airflow's class attribute
    ui_color = "#f0ede4"

    def __init__(
        self,
        *,
        command: str = "",
        script_uri: str | None = None,
        script_argument: list[str] | None = None,
        aws_conn_id: str | None = "aws_default",
        stage_inputs: list[str] | None = None,
        stage_outputs: list[str] | None = None,
        stdout: str | None = None,
        stderr: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.stdout = stdout
        self.stderr = stderr
        self.stage_inputs = list(stage_inputs or [])
        self.stage_outputs = list(stage_outputs or [])
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
        with tempfile.TemporaryDirectory(prefix=f"dp-{self.object_id}-") as staging:
            env = {**os.environ, **self._stage_in(context, instance, Path(staging))}
            self._run(argv, env)
            self._stage_out(context, instance, Path(staging))

    def _run(self, argv: list[str], env: dict[str, str]) -> None:
        if self.stdout or self.stderr:
            self._run_to_files(argv, env)
            return
        self._process = subprocess.Popen(
            argv,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env=env,
        )
        assert self._process.stdout is not None
        for line in iter(self._process.stdout.readline, b""):
            self.log.info("%s", line.decode(errors="replace").rstrip("\n"))
        self._check(self._process.wait())

    def _run_to_files(self, argv: list[str], env: dict[str, str]) -> None:
        """``stdout``/``stderr`` set: the streams go to files, shipped whatever the outcome."""
        with tempfile.TemporaryDirectory(prefix="dp-streams-") as folder:
            out_path, err_path = Path(folder, "stdout"), Path(folder, "stderr")
            with out_path.open("wb") as out, err_path.open("wb") as err:
                self._process = subprocess.Popen(
                    argv, stdout=out, stderr=err, start_new_session=True, env=env
                )
                code = self._process.wait()
            for name, path in (("stdout", out_path), ("stderr", err_path)):
                text = path.read_text(errors="replace")
                if text:
                    self.log.info("%s:\n%s", name, text.rstrip("\n"))
            for destination, path in ((self.stdout, out_path), (self.stderr, err_path)):
                if destination:
                    self._ship(path, destination)
        self._check(code)

    def _ship(self, path: Path, destination: str) -> None:
        if destination.startswith("s3://"):
            from airflow.providers.amazon.aws.hooks.s3 import S3Hook

            bucket, key = S3Hook.parse_s3_url(destination)
            S3Hook(aws_conn_id=self.aws_conn_id).load_file(str(path), key, bucket, replace=True)
        else:
            target = Path(destination)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())
        self.log.info("Wrote %s", destination)

    def _check(self, code: int) -> None:
        if code != 0:
            raise AirflowException(f"{self.object_id}: the command exited with status {code}")

    def _stage_in(self, context: Any, instance: Instance, root: Path) -> dict[str, str]:
        if not (self.stage_inputs or self.stage_outputs):
            return {}
        from dp_airflow.operators import staging

        hook = staging.new_hook(self.aws_conn_id)
        env: dict[str, str] = {}
        for index, node_id in enumerate(self.stage_inputs, start=1):
            url, is_directory = staging.node_location(self.node_scope(node_id, instance))
            target = root / f"input{index}"
            target.mkdir()
            count = staging.download(hook, url, is_directory, target)
            self.log.info("Staged %d file(s) of %s from %s", count, node_id, url)
            env[f"INPUT{index}_STAGING_DIR"] = str(target)
        for index, _ in enumerate(self.stage_outputs, start=1):
            (root / f"output{index}").mkdir()
            env[f"OUTPUT{index}_STAGING_DIR"] = str(root / f"output{index}")
        return env

    def _stage_out(self, context: Any, instance: Instance, root: Path) -> None:
        if not self.stage_outputs:
            return
        from dp_airflow.operators import staging

        hook = staging.new_hook(self.aws_conn_id)
        for index, node_id in enumerate(self.stage_outputs, start=1):
            url, is_directory = staging.node_location(self.node_scope(node_id, instance))
            count = staging.upload(hook, root / f"output{index}", url, is_directory)
            self.log.info("Uploaded %d file(s) of %s to %s", count, node_id, url)

    def _fetch_script(self) -> str:
        """Download ``scriptUri`` from S3 to a private temporary file (run as ``bash FILE``)."""
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

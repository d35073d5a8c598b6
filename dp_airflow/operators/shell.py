"""Running a Data Pipeline shell command or script, shared by ShellCommandActivity and
ShellCommandPrecondition: ``command`` with ``bash -c`` or ``scriptUri`` fetched from S3,
``scriptArgument`` values as ``$1 … $n``, ``stdout``/``stderr`` shipped to S3 or a path."""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any


class ShellRunner:
    """Mixin for operators with ``command``, ``script_uri``, ``script_argument``, ``stdout``,
    ``stderr`` and ``aws_conn_id``. Arguments are real positional arguments, never spliced
    into the shell text; a kill ends the whole process group."""

    command: str
    # Defaults here, so operators set only what a task gives (see EvaluatedFields.__init__).
    script_uri: str | None = None
    script_argument: Sequence[str] = ()
    stdout: str | None = None
    stderr: str | None = None
    aws_conn_id: str | None = "aws_default"
    log: Any
    _process: subprocess.Popen[bytes] | None = None

    @contextmanager
    def shell_argv(self) -> Iterator[list[str]]:
        """The argv to run; a fetched script lives in a private file until the block ends."""
        if not self.script_uri:
            yield ["bash", "-c", self.command, "bash", *self.script_argument]
            return
        script = self._fetch_script()
        try:
            yield ["bash", script, *self.script_argument]
        finally:
            Path(script).unlink(missing_ok=True)

    def run_shell(self, argv: list[str], env: Mapping[str, str] | None = None) -> int:
        """Run ``argv``, its output in the task log (and shipped when asked); the exit code."""
        environment = dict(env) if env is not None else dict(os.environ)
        if self.stdout or self.stderr:
            return self._run_to_files(argv, environment)
        self._process = subprocess.Popen(
            argv,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env=environment,
        )
        assert self._process.stdout is not None
        for line in iter(self._process.stdout.readline, b""):
            self.log.info("%s", line.decode(errors="replace").rstrip("\n"))
        return self._process.wait()

    def _run_to_files(self, argv: list[str], env: dict[str, str]) -> int:
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
        return code

    def _ship(self, path: Path, destination: str) -> None:
        if destination.startswith("s3://"):
            from airflow.providers.amazon.aws.hooks.s3 import S3Hook

            from dp_airflow.operators.s3_streams import encrypts

            bucket, key = S3Hook.parse_s3_url(destination)
            S3Hook(aws_conn_id=self.aws_conn_id).load_file(
                str(path), key, bucket, replace=True, encrypt=encrypts(self)
            )
        else:
            target = Path(destination)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())
        self.log.info("Wrote %s", destination)

    def _fetch_script(self) -> str:
        """Download ``scriptUri`` from S3 to a private temporary file (run as ``bash FILE``)."""
        from airflow.providers.amazon.aws.hooks.s3 import S3Hook

        bucket, key = S3Hook.parse_s3_url(self.script_uri or "")
        text = S3Hook(aws_conn_id=self.aws_conn_id).read_key(key, bucket)
        handle = tempfile.NamedTemporaryFile("w", suffix=".sh", delete=False)  # noqa: SIM115
        with handle:
            handle.write(text)
        return handle.name

    def kill_shell(self) -> None:
        if self._process is not None and self._process.poll() is None:
            os.killpg(self._process.pid, signal.SIGTERM)

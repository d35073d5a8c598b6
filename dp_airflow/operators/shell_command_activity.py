"""ShellCommandActivity: a shell command on an Airflow worker."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from dp_airflow.operators.base import DataPipelineOperator, list_argument, text_argument
from dp_airflow.operators.s3_streams import encrypts
from dp_airflow.operators.shell import ShellRunner
from dp_airflow.runtime.compat import AirflowException
from dp_airflow.schedule.model import Instance


class ShellCommandActivityOperator(ShellRunner, DataPipelineOperator):
    """Runs ``command`` with ``bash -c``; ``scriptArgument`` values are ``$1 … $n``.

    Arguments are passed as real positional arguments, never spliced into the shell text. A
    non-zero exit fails the task; a timeout or kill ends the whole process group.

    :param command: the shell command (Data Pipeline expressions evaluated per instance).
    :param script_argument: positional arguments.
    """

    template_fields = ("command", "script_uri", "script_argument", "stdout", "stderr")
    template_fields_renderers = {"command": "bash"}  # noqa: RUF012 - Airflow's class attribute
    ui_color = "#f0ede4"

    @classmethod
    def plan_arguments(cls, arguments: Mapping[str, object]) -> dict[str, Any]:
        stage = str(arguments.get("stage", "false")).strip().lower() == "true"
        return {
            "command": str(arguments.get("command", "")),
            "stage_inputs": list_argument(arguments.get("inputs")) if stage else [],
            "stage_outputs": list_argument(arguments.get("outputs")) if stage else [],
            "script_uri": text_argument(arguments.get("scriptUri")),
            "stdout": text_argument(arguments.get("stdout")),
            "stderr": text_argument(arguments.get("stderr")),
            "script_argument": list_argument(arguments.get("scriptArgument")),
        }

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
        self.command = command
        # Only what differs from the defaults (see EvaluatedFields.__init__).
        for name, value, default in (
            ("script_uri", script_uri, None),
            ("script_argument", list(script_argument or ()), []),
            ("aws_conn_id", aws_conn_id, "aws_default"),
            ("stage_inputs", list(stage_inputs or ()), []),
            ("stage_outputs", list(stage_outputs or ()), []),
            ("stdout", stdout, None),
            ("stderr", stderr, None),
        ):
            if value != default:
                setattr(self, name, value)

    stage_inputs: Sequence[str] = ()
    stage_outputs: Sequence[str] = ()

    def run_instance(self, context: Any, instance: Instance) -> None:
        self.log.info("Running %s for %s", self.object_id, instance.scheduled_start.isoformat())
        with (
            self.shell_argv() as argv,
            tempfile.TemporaryDirectory(prefix=f"dp-{self.object_id}-") as staging,
        ):
            env = {**os.environ, **self._stage_in(context, instance, Path(staging))}
            code = self.run_shell(argv, env)
            if code != 0:
                raise AirflowException(f"{self.object_id}: the command exited with status {code}")
            self._stage_out(context, instance, Path(staging))

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
            count = staging.upload(
                hook, root / f"output{index}", url, is_directory, encrypt=encrypts(self)
            )
            self.log.info("Uploaded %d file(s) of %s to %s", count, node_id, url)

    def on_kill(self) -> None:
        self.kill_shell()

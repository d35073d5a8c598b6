"""The one task of a definition that cannot become a DAG: it fails with the diagnostics."""

from __future__ import annotations

from typing import Any

from airflow.sdk import BaseOperator

from dp_airflow.runtime.compat import AirflowFailException


class InvalidDefinitionOperator(BaseOperator):
    """Fails at once, logging every diagnostic of the broken definition (no retries)."""

    ui_color = "#f8d7da"

    def __init__(self, *, diagnostics: str, **kwargs: Any) -> None:
        kwargs.setdefault("retries", 0)
        super().__init__(**kwargs)
        self.diagnostics = diagnostics

    def execute(self, context: Any) -> Any:
        for line in self.diagnostics.splitlines():
            self.log.error("%s", line)
        raise AirflowFailException(
            "this Data Pipeline definition cannot become a DAG; fix the file and the DAG "
            "comes back on the next parse:\n" + self.diagnostics
        )

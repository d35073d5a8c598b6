"""The one exception tree of dp-airflow: every error we raise derives from DpAirflowError."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dp_airflow.diagnostics import Diagnostic


class DpAirflowError(Exception):
    """Base of every dp-airflow error."""


class DefinitionError(DpAirflowError):
    """A definition cannot be used; carries every diagnostic found, not only the first."""

    def __init__(self, diagnostics: Sequence[Diagnostic]) -> None:
        self.diagnostics = tuple(diagnostics)
        errors = [d for d in self.diagnostics if d.is_error]
        lines = [d.render() for d in errors] or ["definition has errors"]
        super().__init__("\n".join(lines))

    def __reduce__(self) -> tuple[type[DefinitionError], tuple[tuple[Diagnostic, ...]]]:
        # Rebuilt from its diagnostics (not its message) when it crosses a process boundary.
        return (DefinitionError, (self.diagnostics,))


class UnreadableFileError(DpAirflowError):
    """The file could not be opened or decoded at all (not a defect of its content)."""


class ExpressionError(DpAirflowError):
    """Base of errors in the #{...} expression language."""

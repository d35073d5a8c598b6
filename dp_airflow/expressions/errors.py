"""Expression errors: each knows the offset of the offending text and draws a caret under it."""

from __future__ import annotations

from dp_airflow.errors import ExpressionError


class ExpressionAtError(ExpressionError):
    """An error at ``offset`` (``width`` characters) of ``source`` (the whole field value)."""

    code = ""
    """Set by each subclass (the diagnostic code it reports under)."""

    def __init__(
        self, message: str, offset: int = 0, width: int = 1, source: str = "", code: str = ""
    ) -> None:
        super().__init__(message)
        self.code = code or type(self).code
        self.message = message
        self.offset = offset
        self.width = max(1, width)
        self.source = source

    def located(self, source: str, base: int = 0) -> ExpressionAtError:
        """The same error with offsets made relative to ``source`` (base = where we started)."""
        self.offset += base
        self.source = source
        return self

    def excerpt(self) -> tuple[str, ...]:
        from dp_airflow.diagnostics import caret_excerpt

        return caret_excerpt(self.source, self.offset, self.width) if self.source else ()

    def __str__(self) -> str:
        return "\n".join((self.message, *self.excerpt()))


class ExpressionSyntaxError(ExpressionAtError):
    """The text is not an expression."""

    code = "expression-syntax"


class ExpressionTypeError(ExpressionAtError):
    """Unknown function, wrong number or kind of arguments, unresolved reference."""

    code = "expression-type"


class ExpressionEvalError(ExpressionAtError):
    """Evaluation failed at run time (a value was missing, a limit was exceeded)."""

    code = "expression-eval"

"""Located diagnostics: every problem found in a definition, with the place it was found."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class Severity(enum.StrEnum):
    """How bad a diagnostic is: an error refuses the definition, a warning does not."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"
    """What the user should know about how the definition runs; never a defect."""


@dataclass(frozen=True, slots=True)
class Location:
    """A 1-based line and column in a source file."""

    line: int
    column: int


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem in a definition.

    ``object_id`` is the pipeline object's id, or the parameter's id for parameter problems;
    ``excerpt`` (text output only) is a value with a caret under the offending character.
    """

    severity: Severity
    code: str
    message: str
    file: str | None = None
    object_id: str | None = None
    field: str | None = None
    location: Location | None = None
    excerpt: tuple[str, ...] = ()

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    @property
    def line(self) -> int | None:
        return self.location.line if self.location else None

    @property
    def column(self) -> int | None:
        return self.location.column if self.location else None

    def render(self) -> str:
        """Compiler-style text: ``file:line:col: severity: [Object.field] message``."""
        where = self.file or "<definition>"
        if self.location:
            where = f"{where}:{self.location.line}:{self.location.column}"
        subject = ""
        if self.object_id is not None:
            subject = f"[{self.object_id}.{self.field}] " if self.field else f"[{self.object_id}] "
        elif self.field:
            subject = f"[{self.field}] "
        text = f"{where}: {self.severity.value}: {subject}{self.message}"
        return "\n".join((text, *("    " + line for line in self.excerpt)))

    def to_json(self) -> dict[str, Any]:
        return {
            "severity": self.severity.value,
            "code": self.code,
            "object_id": self.object_id,
            "field": self.field,
            "message": self.message,
            "line": self.line,
            "column": self.column,
        }


@dataclass
class DiagnosticSink:
    """Collects diagnostics for one file; passes never stop at the first problem."""

    file: str | None = None
    items: list[Diagnostic] = field(default_factory=list)

    def error(self, code: str, message: str, **where: Any) -> None:
        self.add(Severity.ERROR, code, message, **where)

    def warning(self, code: str, message: str, **where: Any) -> None:
        self.add(Severity.WARNING, code, message, **where)

    def info(self, code: str, message: str, **where: Any) -> None:
        self.add(Severity.INFO, code, message, **where)

    def add(
        self,
        severity: Severity,
        code: str,
        message: str,
        *,
        object_id: str | None = None,
        field: str | None = None,
        location: Location | None = None,
        excerpt: tuple[str, ...] = (),
        file: str | None = None,
    ) -> None:
        """``file`` names another file the problem is in (a values or parameters file)."""
        self.items.append(
            Diagnostic(
                severity, code, message, file or self.file, object_id, field, location, excerpt
            )
        )

    @property
    def has_errors(self) -> bool:
        return any(d.is_error for d in self.items)

    def sorted(self) -> list[Diagnostic]:
        """Diagnostics in file order, the definition's first, then each other file (values,
        parameters, ``--parameter-values``) in the order met; unlocated ones last in each file,
        in the order they were found."""
        unknown = 10**9
        files: dict[str | None, int] = {self.file: 0}
        for item in self.items:
            files.setdefault(item.file, len(files))
        indexed = list(enumerate(self.items))
        indexed.sort(key=lambda p: (files[p[1].file], p[1].line or unknown, p[1].column or 0, p[0]))
        return [d for _, d in indexed]


def caret_excerpt(text: str, offset: int, width: int = 1) -> tuple[str, ...]:
    """The line of ``text`` holding ``offset`` with a caret (or carets) under it."""
    start = text.rfind("\n", 0, offset) + 1
    end = text.find("\n", offset)
    line = text[start : end if end != -1 else len(text)]
    column = offset - start
    if len(line) > _EXCERPT_WIDTH:
        # Long values (EMR steps, SQL on one line): show a window around the offset.
        left = max(0, column - _EXCERPT_WIDTH // 2)
        right = min(len(line), left + _EXCERPT_WIDTH)
        left = max(0, right - _EXCERPT_WIDTH)
        prefix, suffix = ("..." if left else ""), ("..." if right < len(line) else "")
        line, column = prefix + line[left:right] + suffix, column - left + len(prefix)
        width = min(width, right - left)
    pad = "".join("\t" if ch == "\t" else " " for ch in line[:column])
    return (line, pad + "^" * max(1, width))


_EXCERPT_WIDTH = 100


def did_you_mean(word: str, choices: list[str] | tuple[str, ...] | set[str]) -> str:
    """`` (did you mean X?)`` for the closest choice, or ``""``."""
    import difflib

    lowered = {c.lower(): c for c in choices}
    if word.lower() in lowered:
        return f" (did you mean {lowered[word.lower()]!r}?)"
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.75)
    return f" (did you mean {close[0]!r}?)" if close else ""

"""Record formats of data nodes (CSV, TSV, Custom) as readers and writers of rows.

CSV: comma separated, ``"`` quoting with doubled quotes, ``escapeChar`` when set. TSV: tab (or
``columnSeparator``) separated, no quoting, backslash escaping (or ``escapeChar``). Custom:
``columnSeparator``, no quoting. Records end with ``\\n`` (``recordSeparator`` when set). SQL NULL
is written as an empty field and an empty field is read as NULL (documented choice).
A node without a data format is read and written as CSV.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from dp_airflow.errors import DpAirflowError


class FormatError(DpAirflowError):
    """A data format this copy cannot use (named with its object and field)."""


@dataclass(frozen=True)
class RecordFormat:
    """How records are written and read: separators, escape character, quoting."""

    kind: str = "CSV"
    delimiter: str = ","
    record_separator: str = "\n"
    escape_char: str | None = None
    quoted: bool = True

    @property
    def extension(self) -> str:
        return {"CSV": "csv", "TSV": "tsv"}.get(self.kind, "txt")

    def _dialect(self) -> dict[str, object]:
        return {
            "delimiter": self.delimiter,
            "lineterminator": self.record_separator,
            "quoting": csv.QUOTE_MINIMAL if self.quoted else csv.QUOTE_NONE,
            "escapechar": self.escape_char,
            "doublequote": self.quoted and self.escape_char is None,
        }

    def write_rows(self, rows: Iterable[Iterable[object]], out: io.TextIOBase) -> int:
        writer = csv.writer(out, **self._dialect())  # type: ignore[arg-type]
        count = 0
        for row in rows:
            writer.writerow(["" if v is None else v for v in row])
            count += 1
        return count

    def read_rows(self, text: Iterable[str]) -> Iterator[list[str | None]]:
        for row in csv.reader(text, **self._dialect()):  # type: ignore[arg-type]
            yield [v if v != "" else None for v in row]


CSV = RecordFormat()
"""Plain CSV (what a node without a data format, or with a CSV one, reads and writes)."""


def _unescape(text: str) -> str:
    return text.encode().decode("unicode_escape") if "\\" in text else text


def record_format(
    object_id: str | None, kind: str | None, fields: Mapping[str, str]
) -> RecordFormat:
    """The format of a data format object (``kind`` = its type), or CSV when there is none."""
    if object_id is None or kind is None:
        return RecordFormat()
    escape = _unescape(fields["escapeChar"]) if fields.get("escapeChar") else None
    record = _unescape(fields.get("recordSeparator") or "\\n")
    if kind == "CSV":
        return RecordFormat("CSV", ",", "\n", escape, quoted=True)
    if kind == "TSV":
        separator = _unescape(fields.get("columnSeparator") or "\\t")
        fmt = RecordFormat("TSV", separator, record, escape or "\\", quoted=False)
    elif kind == "Custom":
        separator = _unescape(fields.get("columnSeparator") or "")
        fmt = RecordFormat("Custom", separator, record, escape or "\\", quoted=False)
    else:
        raise FormatError(
            f"{object_id}: {kind} data formats are not read or written by CopyActivity"
        )
    if len(fmt.delimiter) != 1:
        raise FormatError(
            f"{object_id}: columnSeparator must be one character, got {fmt.delimiter!r}"
        )
    if fmt.record_separator not in ("\n", "\r\n"):
        raise FormatError(
            f"{object_id}: recordSeparator {fmt.record_separator!r} is not supported yet "
            "(newline records are)"
        )
    return fmt

"""Data formats: how records are laid out in a data node."""

from __future__ import annotations

from typing import ClassVar, Literal

from dp_airflow.model.objects.base import Category, ObjectModel, Text, TextList


class DataFormat(ObjectModel):
    """Fields every data format has: its columns."""

    category: ClassVar[Category] = Category.DATA_FORMAT

    column: TextList = ()
    """``name TYPE`` entries."""


class CSV(DataFormat):
    """Comma-separated values."""

    type: Literal["CSV"] = "CSV"
    escape_char: Text | None = None


class TSV(DataFormat):
    """Tab-separated values (or another column separator)."""

    type: Literal["TSV"] = "TSV"
    column_separator: Text | None = None
    escape_char: Text | None = None
    record_separator: Text | None = None


class Custom(DataFormat):
    """Records with a custom column and record separator."""

    type: Literal["Custom"] = "Custom"
    column_separator: Text
    record_separator: Text | None = None


class RegEx(DataFormat):
    """Records parsed by a regular expression."""

    type: Literal["RegEx"] = "RegEx"
    input_reg_ex: Text | None = None
    output_format: Text | None = None


class DynamoDBDataFormat(DataFormat):
    """A DynamoDB table's items as Hive columns."""

    type: Literal["DynamoDBDataFormat"] = "DynamoDBDataFormat"


class DynamoDBExportDataFormat(DataFormat):
    """Items in the DynamoDB export format (one JSON item per line)."""

    type: Literal["DynamoDBExportDataFormat"] = "DynamoDBExportDataFormat"

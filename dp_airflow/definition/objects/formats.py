"""Data formats: how records are laid out in a data node."""

from __future__ import annotations

from typing import ClassVar, Literal

from dp_airflow.definition.objects.base import Category, ObjectModel, Text, TextList


class DataFormat(ObjectModel):
    category: ClassVar[Category] = Category.DATA_FORMAT

    column: TextList = ()
    """``name TYPE`` entries."""


class CSV(DataFormat):
    type: Literal["CSV"] = "CSV"
    escape_char: Text | None = None


class TSV(DataFormat):
    type: Literal["TSV"] = "TSV"
    column_separator: Text | None = None
    escape_char: Text | None = None
    record_separator: Text | None = None


class Custom(DataFormat):
    type: Literal["Custom"] = "Custom"
    column_separator: Text
    record_separator: Text | None = None


class RegEx(DataFormat):
    type: Literal["RegEx"] = "RegEx"
    input_reg_ex: Text | None = None
    output_format: Text | None = None


class DynamoDBDataFormat(DataFormat):
    type: Literal["DynamoDBDataFormat"] = "DynamoDBDataFormat"


class DynamoDBExportDataFormat(DataFormat):
    type: Literal["DynamoDBExportDataFormat"] = "DynamoDBExportDataFormat"

"""Checks of one field's values against its slot: kind, multiplicity, literal form, range."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dp_airflow.diagnostics import DiagnosticSink, did_you_mean
from dp_airflow.model.object_types import FieldSpec
from dp_airflow.model.slots import (
    LITERAL_PARSERS,
    ONDEMAND_PERIOD,
    Kind,
    LiteralError,
    Slot,
    has_expression,
    match_choice,
)
from dp_airflow.read.raw import RawField, RawValue


def check_field(object_id: str, f: RawField, spec: FieldSpec, sink: DiagnosticSink) -> None:
    """Diagnostics for one field against its slot (kind, multiplicity, literal form)."""
    slot = spec.slot
    if not slot.multi and len(f.values) > 1:
        sink.error(
            "multiple-values",
            f"{f.key!r} takes one value, but {len(f.values)} are given",
            object_id=object_id,
            field=f.key,
            location=f.location,
        )
    if slot.multi and slot.maximum is not None and len(f.values) > slot.maximum:
        sink.error(
            "too-many-values",
            f"{f.key!r} takes at most {int(slot.maximum)} values, but {len(f.values)} are given",
            object_id=object_id,
            field=f.key,
            location=f.location,
        )
    for value in f.values:
        _check_value(object_id, f.key, value, slot, sink)


def _check_value(
    object_id: str, key: str, value: RawValue, slot: Slot, sink: DiagnosticSink
) -> None:
    where = {"object_id": object_id, "field": key, "location": value.location}
    if slot.kind is Kind.REF:
        if not value.is_ref:
            shown = "id" if key.startswith("*") else value.text
            sink.error(
                "expected-reference",
                f'{key!r} must be a reference such as {{"ref": "{shown}"}}, not a string',
                **where,
            )
        return
    if value.is_ref:
        sink.error(
            "expected-string",
            f"{key!r} takes a {slot.kind.value.lower()} value, not a reference (to {value.ref!r})",
            **where,
        )
        return
    text = value.text or ""
    if has_expression(text) or text == "":
        return  # expressions are checked by the expression checker; "" by the empty-value rule
    if slot.kind is Kind.ENUM:
        _check_choice(object_id, key, value, text, slot, sink)
        return
    parser = LITERAL_PARSERS.get(slot.kind)
    if parser is None:
        return
    if slot.kind is Kind.PERIOD and text == ONDEMAND_PERIOD:
        return  # accepted for on-demand schedules; the schedule rules check where
    try:
        parsed = parser(text)
    except LiteralError as exc:
        reason = (
            f"the secret value is not a valid {slot.kind.value}" if key.startswith("*") else exc
        )
        sink.error("invalid-value", f"{key!r}: {reason}", **where)
        return
    if isinstance(parsed, (int, float)) and not isinstance(parsed, bool):
        _check_range(key, parsed, slot, sink, where)


def _check_range(
    key: str, number: float, slot: Slot, sink: DiagnosticSink, where: Mapping[str, Any]
) -> None:
    low, high = slot.minimum, slot.maximum
    if (low is not None and number < low) or (high is not None and number > high):
        bounds = (
            f"between {_fmt(low)} and {_fmt(high)}"
            if low is not None and high is not None
            else f"at least {_fmt(low)}"
            if low is not None
            else f"at most {_fmt(high)}"
        )
        sink.error(
            "out-of-range",
            f"{key!r} must be {bounds}, but is {_fmt(number)}",
            **where,
        )


def _fmt(number: float | None) -> str:
    return str(int(number)) if number is not None and number == int(number) else str(number)


def _check_choice(
    object_id: str, key: str, value: RawValue, text: str, slot: Slot, sink: DiagnosticSink
) -> None:
    where = {"object_id": object_id, "field": key, "location": value.location}
    try:
        canonical = match_choice(text, slot.choices)
    except LiteralError:
        sink.error(
            "invalid-value",
            f"{key!r}: {text!r} is not one of {', '.join(slot.choices)}"
            + did_you_mean(text, slot.choices),
            **where,
        )
        return
    if canonical != text:
        sink.warning("enum-case", f"{key!r}: {text!r} is read as {canonical!r}", **where)

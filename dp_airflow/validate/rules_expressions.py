"""Every ``#{...}`` in every field, checked in the context of each object that uses it.

A field written on ``Default`` or a template is checked for each typed object inheriting it and
reported once, at the place it is written.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dp_airflow.diagnostics import caret_excerpt
from dp_airflow.expressions.check import CheckScope, check_value
from dp_airflow.expressions.errors import ExpressionAtError
from dp_airflow.read.raw import RawValue
from dp_airflow.read.source import string_offset

if TYPE_CHECKING:
    from dp_airflow.validate.context import Context

_REFERRING_FIELDS = ("precondition", "onFail", "onSuccess", "onLateAction")


def check(context: Context) -> None:
    """Every ``#{...}`` parsed and checked against the fields and functions it names."""
    definition = context.definition
    scope = CheckScope(
        context.resolved,
        definition.parameters_by_id(),
        frozenset(definition.value_texts()),
    )
    referrers, users = _referrers(context), _users(context)
    for raw in context.objects.values():
        for f in raw.fields:
            if f.key == "type":
                continue
            for value in f.values:
                if value.text is None or "#{" not in value.text:
                    continue
                contexts: list[str | None] = list(users.get((raw.id, f.key), ())) or [None]
                seen: set[tuple[int, str]] = set()
                for object_id in contexts:
                    object_scope = scope.with_object(object_id, referrers.get(object_id or "", ()))
                    for error in check_value(value.text, object_scope):
                        # One report per place: an inherited field is checked for every
                        # inheritor, but its text is written once.
                        if (error.offset, error.code) not in seen:
                            seen.add((error.offset, error.code))
                            _report(context, raw.id, f.key, value, error)


def _referrers(context: Context) -> dict[str, list[str]]:
    """Object id → ids of the objects whose ``precondition``/``on…`` fields name it."""
    referrers: dict[str, list[str]] = {}
    for obj in context.resolved.values():
        for key in _REFERRING_FIELDS:
            for target in obj.ref_ids(key):
                referrers.setdefault(target, []).append(obj.id)
    return referrers


def _users(context: Context) -> dict[tuple[str, str], list[str]]:
    """(object that writes a field, field) → typed objects that end up with it."""
    users: dict[tuple[str, str], list[str]] = {}
    for typed, _ in context.typed():
        for key, effective in typed.fields.items():
            users.setdefault((effective.origin, key), []).append(typed.id)
    return users


def _report(
    context: Context, object_id: str, key: str, value: RawValue, error: ExpressionAtError
) -> None:
    text = value.text or ""
    location = value.location
    source = context.definition.source
    if source is not None and value.node is not None:
        location = source.location(string_offset(source.text, value.node, error.offset))
    context.sink.error(
        error.code,
        error.message,
        object_id=object_id,
        field=key,
        location=location,
        excerpt=() if key.startswith("*") else caret_excerpt(text, error.offset, error.width),
    )

"""Scopes over a pipeline: what ``#{name}``, ``#{input.x}``, ``#{node.@y}`` and ``#{myParam}`` mean.

A scope is one object's instance: its fields (own, inherited and user fields; strings evaluated in
that object's own scope when read), its runtime ``@`` fields, the pipeline's parameters and, in
actions and preconditions, ``node`` (the object they act for). Reading a field through a
reference evaluates it in the referenced object's instance for the same interval.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from dp_airflow.diagnostics import did_you_mean
from dp_airflow.expressions.ast import Reference, Span
from dp_airflow.expressions.datetimes import render as render_datetime
from dp_airflow.expressions.errors import ExpressionAtError, ExpressionEvalError
from dp_airflow.expressions.runtime_fields import UNPREFIXED_RUNTIME
from dp_airflow.expressions.values import ObjectRef, Scalar, Value, a, type_name
from dp_airflow.model.slots import Kind, LiteralError, parse_datetime
from dp_airflow.read.raw import RawParameter
from dp_airflow.resolve.inheritance import ResolvedObject


@dataclass(frozen=True)
class Interval:
    """The times of one run; everything else about an instance derives from these."""

    scheduled_start: datetime
    scheduled_end: datetime | None = None
    actual_start: datetime | None = None
    actual_end: datetime | None = None
    extra: Mapping[str, Value] = field(default_factory=dict)
    """Further runtime fields (``errorMessage``, ``@status``…) known to the caller."""


@dataclass
class Environment:
    """A pipeline's objects and parameters, with parameter values (supplied ones override)."""

    objects: Mapping[str, ResolvedObject]
    parameters: Mapping[str, RawParameter] = field(default_factory=dict)
    values: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    pipeline_id: str = "df-dp-airflow"
    at_parse_time: bool = False
    """Evaluated when the DAG is parsed (a schedule): run values and Variables come too late."""
    _evaluating: list[tuple[str, str]] = field(default_factory=list)

    def parameter(self, name: str) -> Value | None:
        declared = self.parameters.get(name)
        supplied = self.values.get(name)
        if supplied is None and declared is not None:
            default = declared.get("default")
            supplied = tuple(v.text or "" for v in default.values) if default else None
        if supplied is None:
            optional = declared is not None and (declared.text("optional") or "").lower() == "true"
            # Undocumented; chosen: an optional parameter left without a value reads as "".
            return "" if optional else None
        kind = (declared.text("type") if declared else None) or "String"
        array = declared is not None and (declared.text("isArray") or "").lower() == "true"
        typed = tuple(_typed_parameter(v, kind) for v in supplied)
        return typed if array or len(typed) > 1 else typed[0]


def _typed_parameter(text: str, kind: str) -> Scalar:
    try:
        if kind.lower() == "integer":
            return int(text)
        if kind.lower() == "double":
            return float(text)
    except ValueError:
        pass
    return text


_TIME_FIELDS = {
    "@scheduledStartTime": "scheduled_start",
    "@scheduledEndTime": "scheduled_end",
    "@actualStartTime": "actual_start",
    "@actualEndTime": "actual_end",
}


@dataclass
class InstanceScope:
    """One object's instance for one interval."""

    env: Environment
    object_id: str | None
    interval: Interval
    node: InstanceScope | None = None
    component: bool = False
    """Reached through ``parent``: the component, whose ``@id`` is the object id."""

    def lookup(self, reference: Reference) -> Value:
        value = self._first(reference.path[0], reference.segment_spans[0])
        scope: InstanceScope | None = self if reference.path[0] != "node" else self.node
        for index in range(1, len(reference.path)):
            name, span = reference.path[index], reference.segment_spans[index]
            target = _single_object(value, reference, index)
            component = index == 1 and reference.path[0] == "parent"
            scope = InstanceScope(self.env, target.id, self.interval, self.node, component)
            value = scope.field(name, span)
        return value

    # -- first segment ------------------------------------------------------------------------
    def _first(self, name: str, span: Span) -> Value:
        if name == "node":
            if self.node is None or self.node.object_id is None:
                raise ExpressionEvalError(
                    "'node' is only available in actions and preconditions",
                    span.start,
                    span.width,
                )
            return ObjectRef(self.node.object_id)
        if name == "parent" and self.object_id is not None:
            return ObjectRef(self.object_id)  # on an instance, parent is its component
        parameter = self.env.parameter(name) if name.lstrip("*").startswith("my") else None
        if parameter is not None and not self._has_field(name):
            return parameter
        return self.field(name, span)

    def _has_field(self, name: str) -> bool:
        obj = self.env.objects.get(self.object_id or "")
        return obj is not None and name in obj.fields

    # -- fields of this instance --------------------------------------------------------------
    def field(self, name: str, span: Span) -> Value:
        if name.startswith("@") or name in UNPREFIXED_RUNTIME:
            return self._runtime(name, span)
        obj = self.env.objects.get(self.object_id or "")
        if obj is not None and name in ("name", "id"):
            return obj.raw.name or obj.id if name == "name" else obj.id
        effective = obj.fields.get(name) if obj is not None else None
        if effective is None:
            parameter = self.env.parameter(name)
            if parameter is not None:
                return parameter
            if name in self.env.parameters:
                from dp_airflow.read.inputs import missing_value_message

                message = missing_value_message(
                    name, self.env.pipeline_id, at_parse_time=self.env.at_parse_time
                )
                raise ExpressionEvalError(message, span.start, span.width)
            if obj is None:
                message = f"{name!r} is not a parameter" + did_you_mean(
                    name, list(self.env.parameters)
                )
            else:
                from dp_airflow.expressions.check import unresolved_message

                message = unresolved_message(obj, name, self.env.parameters)
            raise ExpressionEvalError(message, span.start, span.width)
        kind = _slot_of(obj, name) if obj is not None else Kind.STRING
        values = [
            self._field_value(name, v.text, v.ref, kind, span) for v in effective.field.values
        ]
        flat: list[Scalar] = []
        for v in values:
            flat.extend(v if isinstance(v, tuple) else (v,))
        # One value is a scalar even in a multi-valued slot: at the API the two are the same.
        return tuple(flat) if len(flat) > 1 else flat[0]

    def _field_value(
        self, name: str, text: str | None, ref: str | None, kind: Kind, span: Span
    ) -> Value:
        if ref is not None:
            return ObjectRef(ref)
        key = (self.object_id or "", name)
        if key in self.env._evaluating:
            chain = " -> ".join(f"{o}.{f}" for o, f in [*self.env._evaluating, key])
            raise ExpressionEvalError(f"circular reference: {chain}", span.start, span.width)
        self.env._evaluating.append(key)
        try:
            from dp_airflow.expressions.evaluate import render

            rendered = render(text or "", self)
        except ExpressionAtError as exc:
            raise ExpressionEvalError(
                f"in {key[0]}.{name}: {exc.message}", span.start, span.width
            ) from None
        finally:
            self.env._evaluating.pop()
        if isinstance(rendered, tuple):
            return tuple(_typed_field(r, kind) for r in rendered)
        return _typed_field(rendered, kind)

    def _runtime(self, name: str, span: Span) -> Value:
        interval = self.interval
        attribute = _TIME_FIELDS.get(name)
        if attribute is not None:
            value = getattr(interval, attribute)
            if value is not None:
                return value  # type: ignore[no-any-return]
        elif name == "@id":
            if self.object_id is None:
                return "@instance"
            if self.component:
                return self.object_id
            return f"@{self.object_id}_{render_datetime(interval.scheduled_start)}"
        elif name == "@sphere" and self.component:
            return "COMPONENT"
        elif name == "@pipelineId":
            return self.env.pipeline_id
        elif name == "@sphere":
            return "INSTANCE"
        elif name == "@componentParent" and self.object_id is not None:
            return ObjectRef(self.object_id)
        for key in (name, name.lstrip("@"), "@" + name.lstrip("@")):
            if key in interval.extra:
                return interval.extra[key]
        raise ExpressionEvalError(
            f"runtime field {name!r} is not available here", span.start, span.width
        )


def _slot_of(obj: ResolvedObject, name: str) -> Kind:
    # Imported on first use: the typed model (pydantic classes) costs a DAG processor's parse,
    # which evaluates nothing, 45 ms of imports in every fresh process.
    from dp_airflow.model.object_types import OBJECT_TYPES, field_specs

    cls = OBJECT_TYPES.get(obj.type or "")
    spec = field_specs(cls).get(name) if cls is not None else None
    return spec.slot.kind if spec is not None else Kind.STRING


def _typed_field(text: str, kind: Kind) -> Scalar:
    try:
        if kind is Kind.INTEGER:
            return int(text)
        if kind is Kind.DOUBLE:
            return float(text)
        if kind is Kind.DATETIME:
            return parse_datetime(text)
    except (ValueError, LiteralError):
        pass
    return text


def _single_object(value: Value, reference: Reference, index: int) -> ObjectRef:
    span = reference.segment_spans[index - 1]
    before = ".".join(reference.path[:index])
    if isinstance(value, tuple) and len(value) == 1:
        value = value[0]
    if isinstance(value, ObjectRef):
        return value
    if isinstance(value, tuple):
        raise ExpressionEvalError(
            f"{before!r} holds {len(value)} references; reading a field through it is ambiguous",
            span.start,
            span.width,
        )
    raise ExpressionEvalError(
        f"{before!r} is {a(type_name(value))}, not a reference, so it has no field "
        f"{reference.path[index]!r}",
        span.start,
        span.width,
    )

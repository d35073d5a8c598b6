"""The static checker: what can be known about an expression before it runs.

It infers a type for every node (Integer, Double, String, DateTime, Object, List or Any when it
cannot know) and reports unknown functions, wrong arity, arguments and operands of the wrong
kind, constant patterns Joda would refuse, unresolved fields and parameters, and runtime fields
read through an intermediate object (which Data Pipeline does not allow).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from dp_airflow.diagnostics import did_you_mean
from dp_airflow.expressions import datetimes
from dp_airflow.expressions.ast import Binary, Call, Literal, Negate, Node, Reference, Span
from dp_airflow.expressions.errors import ExpressionAtError, ExpressionTypeError
from dp_airflow.expressions.functions import (
    ANY,
    DATETIME,
    DOUBLE,
    FUNCTIONS,
    INTEGER,
    LIST,
    OBJECT,
    STRING,
)
from dp_airflow.expressions.joda import PatternError, compile_pattern
from dp_airflow.expressions.runtime_fields import (
    ACTION_TYPES,
    ENDED_ONLY,
    NEVER_SET,
    RUNTIME_FIELDS,
    UNPREFIXED_RUNTIME,
)
from dp_airflow.expressions.template import compile_template
from dp_airflow.expressions.values import a
from dp_airflow.model.object_types import OBJECT_TYPES, field_specs
from dp_airflow.model.slots import Kind, LiteralError, parse_datetime, parse_period
from dp_airflow.read.raw import RawParameter
from dp_airflow.resolve.inheritance import ResolvedObject

FUNCTION, REFERENCE = "expression-function", "expression-reference"
NAME_FIELDS = frozenset({"name", "id", "type"})
"""Slots every object has, never evaluated (``#{name}``, ``#{node.name}``)."""
_KIND_TYPES = {
    Kind.INTEGER: INTEGER,
    Kind.DOUBLE: DOUBLE,
    Kind.DATETIME: DATETIME,
    Kind.REF: OBJECT,
}


@dataclass
class CheckScope:
    """What an expression can see: its object, the pipeline's objects and parameters."""

    objects: Mapping[str, ResolvedObject]
    parameters: Mapping[str, RawParameter]
    supplied: frozenset[str] = frozenset()
    """Ids with values (a value for an undeclared id still resolves)."""
    object_id: str | None = None
    referrers: Sequence[str] = field(default_factory=tuple)
    """For actions and preconditions: ids of the objects ``node`` can be."""

    def with_object(self, object_id: str | None, referrers: Sequence[str] = ()) -> CheckScope:
        return CheckScope(self.objects, self.parameters, self.supplied, object_id, referrers)


def check_value(value: str, scope: CheckScope) -> list[ExpressionAtError]:
    """Every problem in one field value (syntax stops at the first, as parsing must)."""
    try:
        template = compile_template(value)
    except ExpressionAtError as exc:
        return [exc]
    checker = _Checker(scope)
    for expression in template.expressions:
        checker.type_of(expression.node)
    return [error.located(value) for error in checker.errors]


class _Checker:
    def __init__(self, scope: CheckScope) -> None:
        self.scope = scope
        self.errors: list[ExpressionAtError] = []

    def fail(self, message: str, span: Span, code: str = "expression-type") -> str:
        self.errors.append(ExpressionTypeError(message, span.start, span.width, code=code))
        return ANY

    def fail_ref(self, message: str, span: Span) -> str:
        return self.fail(message, span, REFERENCE)

    def type_of(self, node: Node) -> str:
        if isinstance(node, Literal):
            return {int: INTEGER, float: DOUBLE}.get(type(node.value), STRING)
        if isinstance(node, Reference):
            return self._reference(node)
        if isinstance(node, Call):
            return self._call(node)
        if isinstance(node, Binary):
            return self._binary(node)
        assert isinstance(node, Negate)
        operand = self.type_of(node.operand)
        if operand not in (INTEGER, DOUBLE, ANY, LIST):
            return self.fail(f"'-' needs a number, not {a(operand)}", node.span)
        return operand

    # -- calls ----------------------------------------------------------------------------
    def _call(self, node: Call) -> str:
        function = FUNCTIONS.get(node.name)
        args = [self.type_of(a) for a in node.args]
        if function is None:
            return self.fail(
                f"unknown function {node.name!r}" + did_you_mean(node.name, list(FUNCTIONS)),
                node.name_span,
                FUNCTION,
            )
        if len(args) != len(function.params):
            return self.fail(
                f"{node.name}() takes {len(function.params)} argument(s), {len(args)} given",
                node.span,
                FUNCTION,
            )
        for index, (actual, expected) in enumerate(zip(args, function.params, strict=True)):
            if actual in (ANY, LIST) or actual == expected:
                continue
            if expected == DOUBLE and actual == INTEGER:
                continue
            if expected == DATETIME and actual == STRING and not _bad_datetime(node.args[index]):
                continue  # a String in DateTime form is read as one at run time
            self.fail(
                f"argument {index + 1} of {node.name}() must be {a(expected)}, not {a(actual)}",
                node.args[index].span,
            )
        self._constant_arguments(node)
        return LIST if LIST in args else function.returns

    def _constant_arguments(self, node: Call) -> None:
        """Literal patterns, zones and periods are checked now rather than at run time."""
        if len(node.args) != 2 or not isinstance(node.args[1], Literal):
            return
        literal = node.args[1]
        if not isinstance(literal.value, str):
            return
        if node.name == "format":
            try:
                compile_pattern(literal.value)
            except PatternError as exc:
                self.fail(
                    str(exc),
                    Span(
                        literal.span.start + 1 + exc.offset,
                        literal.span.start + 1 + exc.offset + exc.width,
                    ),
                )
        elif node.name == "inTimeZone":
            try:
                datetimes.zone(literal.value)
            except LookupError as exc:
                self.fail(str(exc), literal.span)
        elif node.name == "plusPeriod":
            try:
                parse_period(literal.value)
            except LiteralError as exc:
                self.fail(str(exc), literal.span)

    # -- operators ------------------------------------------------------------------------
    def _binary(self, node: Binary) -> str:
        left, right = self.type_of(node.left), self.type_of(node.right)
        if LIST in (left, right):
            return LIST
        if node.op == "+" and STRING in (left, right):
            return STRING
        if ANY in (left, right):
            return ANY if node.op != "^" else DOUBLE
        numbers = (INTEGER, DOUBLE)
        if left not in numbers or right not in numbers:
            return self.fail(f"'{node.op}' cannot combine {a(left)} and {a(right)}", node.op_span)
        if node.op == "^" or DOUBLE in (left, right):
            return DOUBLE
        return INTEGER

    # -- references -----------------------------------------------------------------------
    def _reference(self, node: Reference) -> str:
        path, spans = node.path, node.segment_spans
        first = path[0]
        if first == "node":
            if not self.scope.referrers and self.scope.object_id is not None:
                obj = self.scope.objects.get(self.scope.object_id)
                if obj is not None and _category(obj) not in ("Action", "Precondition"):
                    return self.fail_ref(
                        "'node' is only available in actions and preconditions", spans[0]
                    )
            targets: list[str] = list(self.scope.referrers)
            kind = OBJECT
        elif first == "parent" and len(path) > 1:
            targets, kind = ([self.scope.object_id] if self.scope.object_id else []), OBJECT
        else:
            kind, targets = self._first(first, spans[0])
        for index in range(1, len(path)):
            name, span = path[index], spans[index]
            if kind == ANY:
                return ANY
            if kind != OBJECT:
                before = ".".join(path[:index])
                return self.fail_ref(
                    f"{before!r} is {a(kind)}, not a reference, so it has no field {name!r}",
                    spans[index - 1],
                )
            if name.startswith("@") and index >= 2:
                through = ".".join(path[:index])
                return self.fail_ref(
                    f"runtime field {name!r} cannot be read through an intermediate object "
                    f"({through}); Data Pipeline allows that for ordinary fields only",
                    span,
                )
            kind, targets = self._field_on(targets, name, span)
        return kind

    def _first(self, name: str, span: Span) -> tuple[str, list[str]]:
        if name.startswith("@"):
            if name in RUNTIME_FIELDS:
                return self._runtime(name, span), []
            return self.fail_ref(
                f"unknown runtime field {name!r}" + did_you_mean(name, list(RUNTIME_FIELDS)),
                span,
            ), []
        if name in UNPREFIXED_RUNTIME:
            return self._runtime(name, span), []
        if name in NAME_FIELDS:
            return STRING, []
        parameter = self.scope.parameters.get(name)
        obj = self.scope.objects.get(self.scope.object_id or "")
        if obj is not None and name in obj.fields:
            return _field_type(obj, name)
        if parameter is not None or name in self.scope.supplied:
            return _parameter_type(parameter), []
        if name.lstrip("*").startswith("my"):
            return self.fail_ref(
                f"parameter {name!r} is not declared (and no field {name!r} is set)"
                + did_you_mean(name, [*self.scope.parameters, *(obj.fields if obj else ())]),
                span,
            ), []
        if obj is None:
            return ANY, []  # on Default or a template: the object is not known here
        return self._unresolved(obj, name, span), []

    def _runtime(self, name: str, span: Span) -> str:
        """The kind of a runtime field, or an error where it can never have a value."""
        if name in NEVER_SET:
            return self.fail_ref(
                f"runtime field {name!r} is never set when dp-airflow runs a pipeline "
                "(see docs/mapping.md)",
                span,
            )
        obj = self.scope.objects.get(self.scope.object_id or "")
        if name in ENDED_ONLY and obj is not None and obj.type not in ACTION_TYPES:
            return self.fail_ref(
                f"runtime field {name!r} has a value only once an attempt has ended: read it "
                f"in an SnsAlarm of the object, as #{{node.{name}}}",
                span,
            )
        return RUNTIME_FIELDS.get(name, STRING)

    def _unresolved(self, obj: ResolvedObject, name: str, span: Span) -> str:
        return self.fail_ref(unresolved_message(obj, name, self.scope.parameters), span)

    def _field_on(self, targets: list[str], name: str, span: Span) -> tuple[str, list[str]]:
        objects = [self.scope.objects[t] for t in targets if t in self.scope.objects]
        if not objects:
            return ANY, []
        if name.startswith("@"):
            if name in RUNTIME_FIELDS:
                return self._runtime(name, span), []
            return self.fail_ref(
                f"unknown runtime field {name!r}" + did_you_mean(name, list(RUNTIME_FIELDS)), span
            ), []
        if name in UNPREFIXED_RUNTIME:
            return self._runtime(name, span), []
        if name in NAME_FIELDS:
            return STRING, []
        having = [o for o in objects if name in o.fields]
        if not having and (name in self.scope.parameters or name in self.scope.supplied):
            # Parameters are visible from every object, also through a reference.
            return _parameter_type(self.scope.parameters.get(name)), []
        if not having:
            if len(objects) == 1:
                return self._unresolved(objects[0], name, span), []
            ids = ", ".join(repr(o.id) for o in objects)
            return self.fail_ref(f"field {name!r} is set on none of {ids}", span), []
        typed = [_field_type(o, name) for o in having]
        kinds = {kind for kind, _ in typed}
        if len(kinds) == 1:
            return kinds.pop(), [t for _, ids in typed for t in ids]
        return ANY, []


def unresolved_message(
    obj: ResolvedObject, name: str, parameters: Mapping[str, RawParameter]
) -> str:
    """Why ``name`` does not resolve on ``obj``: the checker and the evaluator say the same."""
    cls = OBJECT_TYPES.get(obj.type or "")
    if cls is not None and name in field_specs(cls):
        return f"field {name!r} is not set on {obj.id!r}"
    candidates = [*obj.fields, *parameters]
    return f"{name!r} is not a field of {obj.id!r} or a parameter" + did_you_mean(name, candidates)


def _bad_datetime(node: Node) -> bool:
    """A String literal that is not a DateTime (other strings are only known at run time)."""
    if not isinstance(node, Literal) or not isinstance(node.value, str):
        return False
    try:
        parse_datetime(node.value)
    except LiteralError:
        return True
    return False


def _category(obj: ResolvedObject) -> str | None:
    cls = OBJECT_TYPES.get(obj.type or "")
    return cls.category.value if cls is not None else None


def _field_type(obj: ResolvedObject, name: str) -> tuple[str, list[str]]:
    effective = obj.fields[name]
    refs = tuple(v.ref for v in effective.field.values if v.ref is not None)
    cls = OBJECT_TYPES.get(obj.type or "")
    spec = field_specs(cls).get(name) if cls is not None else None
    if refs:
        return (OBJECT, [refs[0]]) if len(effective.field.values) == 1 else (LIST, [])
    if len(effective.field.values) > 1 or (spec is not None and spec.slot.multi):
        return LIST, []
    if spec is None:
        return STRING, []
    return _KIND_TYPES.get(spec.slot.kind, STRING), []


def _parameter_type(parameter: RawParameter | None) -> str:
    if parameter is None:
        return STRING
    if (parameter.text("isArray") or "").strip().lower() == "true":
        return LIST
    kind = (parameter.text("type") or "String").strip().lower()
    return {"integer": INTEGER, "double": DOUBLE}.get(kind, STRING)

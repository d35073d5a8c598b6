"""Service limits (sizes, counts, retry bounds) and the balance of ``#{...}`` in every value."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dp_airflow.model.slots import (
    LiteralError,
    Period,
    PeriodUnit,
    parse_integer,
    parse_period,
)
from dp_airflow.read.raw import RawValue

if TYPE_CHECKING:
    from dp_airflow.validate.context import Context

MAX_OBJECTS = 100
MAX_FIELDS_PER_OBJECT = 50
MAX_NAME_BYTES = 256
MAX_VALUE_BYTES = 10_240
MAX_OBJECT_BYTES = 15_360
MAX_ACTIVE_INSTANCES = 5
MAX_RETRIES = 5
MIN_RETRY_DELAY = Period(2, PeriodUnit.MINUTES)


def check(context: Context) -> None:
    """Data Pipeline's limits: objects, fields, retries, periods, active instances."""
    sink = context.sink
    if len(context.objects) > MAX_OBJECTS:
        sink.warning(
            "limit-objects",
            f"{len(context.objects)} objects; Data Pipeline allows {MAX_OBJECTS} per pipeline "
            "unless the account's limit was raised",
        )
    for obj in context.objects.values():
        where = {"object_id": obj.id, "location": obj.location}
        if len(obj.id.encode()) > MAX_NAME_BYTES:
            sink.error("limit-size", f"the id is longer than {MAX_NAME_BYTES} bytes", **where)
        if len(obj.fields) > MAX_FIELDS_PER_OBJECT:
            sink.error(
                "limit-fields",
                f"{len(obj.fields)} fields; the limit is {MAX_FIELDS_PER_OBJECT} per object",
                **where,
            )
        total = len(obj.id.encode()) + len((obj.name or obj.id).encode())
        for f in obj.fields:
            field_where = {"object_id": obj.id, "field": f.key, "location": f.location}
            if len(f.key.encode()) > MAX_NAME_BYTES:
                sink.error(
                    "limit-size",
                    f"the field name is longer than {MAX_NAME_BYTES} bytes",
                    **field_where,
                )
            for value in f.values:
                size = len((value.text or value.ref or "").encode())
                total += len(f.key.encode()) + size
                if size > MAX_VALUE_BYTES:
                    sink.error(
                        "limit-size",
                        f"the value is {size} bytes; the limit is {MAX_VALUE_BYTES}",
                        **field_where,
                    )
            _check_bounds(context, obj.id, f.key, f.values)
        if total > MAX_OBJECT_BYTES:
            sink.error(
                "limit-size",
                f"the object is {total} bytes; the limit is {MAX_OBJECT_BYTES}",
                **where,
            )


def _check_bounds(context: Context, object_id: str, key: str, values: tuple[RawValue, ...]) -> None:
    if not values or values[0].text is None:
        return
    text, location = values[0].text, values[0].location
    try:
        if key == "retryDelay":
            delay = parse_period(text)
            if delay.approximate_minutes() < MIN_RETRY_DELAY.approximate_minutes():
                context.sink.error(
                    "limit-retry-delay",
                    f"retryDelay {delay} is below the minimum of {MIN_RETRY_DELAY}",
                    object_id=object_id,
                    field=key,
                    location=location,
                )
        elif key == "maximumRetries" and parse_integer(text) > MAX_RETRIES:
            context.sink.warning(
                "limit-retries",
                f"maximumRetries {text} is above Data Pipeline's limit of {MAX_RETRIES} retries "
                "per activity task; Airflow will make every retry",
                object_id=object_id,
                field=key,
                location=location,
            )
        elif key == "maxActiveInstances" and parse_integer(text) > MAX_ACTIVE_INSTANCES:
            context.sink.warning(
                "limit-active-instances",
                f"maxActiveInstances {text} is above Data Pipeline's default limit of "
                f"{MAX_ACTIVE_INSTANCES}",
                object_id=object_id,
                field=key,
                location=location,
            )
    except LiteralError:
        return  # malformed literals are reported by the field check

"""The Schedule object."""

from __future__ import annotations

import enum
from typing import Annotated, ClassVar, Literal

from pydantic import Field

from dp_airflow.model.objects.base import (
    Category,
    DateTime,
    Expression,
    Integer,
    ObjectModel,
    Text,
    choices,
)
from dp_airflow.model.slots import Kind, Period, Slot


class StartAt(enum.StrEnum):
    """Where a schedule starts without ``startDateTime``."""

    FIRST_ACTIVATION_DATE_TIME = "FIRST_ACTIVATION_DATE_TIME"
    ONDEMAND_ACTIVATION_TIME = "ONDEMAND_ACTIVATION_TIME"


class Schedule(ObjectModel):
    """When instances run: intervals of ``period`` from the start, until an end or a count."""

    category: ClassVar[Category] = Category.SCHEDULE
    one_of = (("startDateTime", "startAt"),)
    at_most_one = (("endDateTime", "occurrences"),)

    type: Literal["Schedule"] = "Schedule"
    period: Annotated[Period | Expression | Literal["ONDEMAND_PERIOD"], Slot(Kind.PERIOD)]
    """Interval length, 15 minutes to 3 years; ``ONDEMAND_PERIOD`` for on-demand pipelines."""
    start_date_time: DateTime | None = None
    start_at: Annotated[StartAt | Expression, Slot(Kind.ENUM, choices=choices(StartAt))] | None = (
        None
    )
    end_date_time: DateTime | None = None
    occurrences: Annotated[int | Expression, Slot(Kind.INTEGER, minimum=1)] | None = None
    max_active_instances: Integer | None = None
    """Seen on Schedule objects in AWS samples; applies to the objects using the schedule."""
    first_activation_time: Text | None = Field(None, alias="@firstActivationTime")

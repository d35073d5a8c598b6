"""Value types and the shared field groups (U, R, S) every object family builds on.

Field names are snake_case here and Data Pipeline's camelCase on the wire (``alias``); a value that
holds a ``#{...}`` expression where a typed literal is expected stays an ``Expression`` until run
time.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, ClassVar

from pydantic import BaseModel, ConfigDict, SecretStr
from pydantic.alias_generators import to_camel

from dp_airflow.model.slots import Kind, Period, Slot


class Category(enum.StrEnum):
    """The families of object types; reference targets may name a family."""

    SCHEDULE = "Schedule"
    DATA_NODE = "DataNode"
    ACTIVITY = "Activity"
    RESOURCE = "Resource"
    PRECONDITION = "Precondition"
    DATABASE = "Database"
    DATA_FORMAT = "DataFormat"
    ACTION = "Action"
    UTILITY = "Utility"


@dataclass(frozen=True, slots=True)
class Ref:
    """A reference to another object, ``{"ref": id}`` in a definition."""

    id: str

    def __str__(self) -> str:
        return self.id


@dataclass(frozen=True, slots=True)
class Expression:
    """A value holding ``#{...}``, kept as text where a typed literal was expected."""

    text: str

    def __str__(self) -> str:
        return self.text


class FailureAndRerunMode(enum.StrEnum):
    """What a failed dependency does to its consumers."""

    NONE = "none"
    CASCADE = "cascade"


class ScheduleType(enum.StrEnum):
    """When instances run: at the start (cron) or end (timeseries) of each period, or on demand."""

    CRON = "cron"
    TIMESERIES = "timeseries"
    ONDEMAND = "ondemand"


def choices(enum_type: type[enum.StrEnum]) -> tuple[str, ...]:
    """The values of an enum, for an ENUM slot."""
    return tuple(member.value for member in enum_type)


def ref(*targets: str | Category, multi: bool = False) -> Slot:
    """A REF slot naming the types or families its targets may be."""
    return Slot(Kind.REF, multi=multi, targets=tuple(str(t) for t in targets))


Text = Annotated[str, Slot(Kind.STRING)]
TextList = Annotated[tuple[str, ...], Slot(Kind.STRING, multi=True)]
Secret = Annotated[SecretStr, Slot(Kind.STRING)]
Integer = Annotated[int | Expression, Slot(Kind.INTEGER)]
Double = Annotated[float | Expression, Slot(Kind.DOUBLE)]
Boolean = Annotated[bool | Expression, Slot(Kind.BOOLEAN)]
DateTime = Annotated[datetime | Expression, Slot(Kind.DATETIME)]
PeriodValue = Annotated[Period | Expression, Slot(Kind.PERIOD)]
Throughput = Annotated[float | Expression, Slot(Kind.DOUBLE, minimum=0.1, maximum=1.0)]
BidPrice = Annotated[str, Slot(Kind.STRING)]
ActionRefs = Annotated[tuple[Ref, ...], ref(Category.ACTION, multi=True)]
UserValue = tuple[str | Ref | SecretStr, ...]


class ObjectModel(BaseModel):
    """Group U: what every object has. Subclasses declare ``type`` as a ``Literal``."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        alias_generator=to_camel,
        populate_by_name=True,
        arbitrary_types_allowed=True,
        # Validators are built on first use: the CLI and the DAG loader import every model,
        # and building 41 of them up front costs a quarter of a second.
        defer_build=True,
    )

    category: ClassVar[Category]
    one_of: ClassVar[tuple[tuple[str, ...], ...]] = ()
    """Groups of Data Pipeline field names of which exactly one must be set."""
    at_most_one: ClassVar[tuple[tuple[str, ...], ...]] = ()
    """Groups of field names that exclude each other but may all be absent."""
    not_allowed: ClassVar[tuple[str, ...]] = ()
    """Known field names this type refuses (``runsOn`` on a resource)."""

    id: str
    name: str
    parent: Annotated[Ref | None, ref()] = None
    user_fields: dict[str, UserValue] = {}
    """``my…`` fields, kept as written; ``*my…`` values are secrets."""

    @classmethod
    def type_name(cls) -> str:
        """The type's name, as ``type`` fields spell it (each type declares it)."""
        return str(cls.model_fields["type"].default)


class RetryFields(ObjectModel):
    """Group R: retries, timeouts and actions (activities, data nodes, resources, preconditions)."""

    attempt_status: Text | None = None
    attempt_timeout: PeriodValue | None = None
    failure_and_rerun_mode: (
        Annotated[
            FailureAndRerunMode | Expression,
            Slot(Kind.ENUM, choices=choices(FailureAndRerunMode)),
        ]
        | None
    ) = None
    late_after_timeout: PeriodValue | None = None
    maximum_retries: Annotated[int | Expression, Slot(Kind.INTEGER, minimum=0)] | None = None
    on_fail: ActionRefs = ()
    on_success: ActionRefs = ()
    on_late_action: ActionRefs = ()
    report_progress_timeout: PeriodValue | None = None
    retry_delay: PeriodValue | None = None


ScheduleTypeValue = Annotated[
    ScheduleType | Expression, Slot(Kind.ENUM, choices=choices(ScheduleType))
]


class ScheduledFields(RetryFields):
    """The schedule part of Group S, shared by activities, data nodes and resources."""

    schedule: Annotated[Ref | None, ref(Category.SCHEDULE)] = None
    schedule_type: ScheduleTypeValue | None = None
    max_active_instances: Annotated[int | Expression, Slot(Kind.INTEGER, minimum=1)] | None = None
    pipeline_log_uri: Text | None = None


class PlacedFields(ScheduledFields):
    """The rest of Group S: where the work runs and what it waits for."""

    runs_on: Annotated[Ref | None, ref("Ec2Resource", "EmrCluster")] = None
    worker_group: Text | None = None
    depends_on: Annotated[
        tuple[Ref, ...], ref(Category.ACTIVITY, Category.DATA_NODE, multi=True)
    ] = ()
    precondition: Annotated[tuple[Ref, ...], ref(Category.PRECONDITION, multi=True)] = ()

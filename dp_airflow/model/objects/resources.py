"""Resources: the EC2 instance or EMR cluster an activity runs on."""

from __future__ import annotations

import enum
from typing import Annotated, ClassVar, Literal

from dp_airflow.model.objects.base import (
    BidPrice,
    Boolean,
    Category,
    Expression,
    Integer,
    PeriodValue,
    Ref,
    ScheduledFields,
    Text,
    TextList,
    choices,
    ref,
)
from dp_airflow.model.slots import Kind, Slot

RETIRED_FAMILIES = frozenset({"m1", "m2", "c1", "cc1", "cc2", "cg1", "cr1", "hi1", "hs1", "t1"})
"""First-generation instance families EMR no longer launches."""
DEFAULT_INSTANCE_TYPE = "m5.xlarge"
"""What a cluster gets for a missing or retired instance type."""


def retired_instance_type(text: str) -> bool:
    """Whether an instance type is of a family EMR no longer launches."""
    return text.strip().lower().split(".", 1)[0] in RETIRED_FAMILIES


class ActionOnResourceFailure(enum.StrEnum):
    """What an EmrCluster does when it fails."""

    RETRY_ALL = "retryall"
    RETRY_NONE = "retrynone"


class ActionOnTaskFailure(enum.StrEnum):
    """What an EmrCluster does when a task on it fails."""

    CONTINUE = "continue"
    TERMINATE = "terminate"


class HadoopSchedulerType(enum.StrEnum):
    """The Hadoop scheduler of a legacy-AMI EmrCluster."""

    PARALLEL_FAIR_SCHEDULING = "PARALLEL_FAIR_SCHEDULING"
    PARALLEL_CAPACITY_SCHEDULING = "PARALLEL_CAPACITY_SCHEDULING"
    DEFAULT_SCHEDULER = "DEFAULT_SCHEDULER"


HttpProxyRef = Annotated[Ref | None, ref("HttpProxy")]


class Resource(ScheduledFields):
    """Resources ignore ``scheduleType`` and may not run on, or wait for, anything."""

    category: ClassVar[Category] = Category.RESOURCE
    not_allowed: ClassVar[tuple[str, ...]] = ("runsOn", "workerGroup", "dependsOn", "precondition")

    action_on_resource_failure: (
        Annotated[
            ActionOnResourceFailure | Expression,
            Slot(Kind.ENUM, choices=choices(ActionOnResourceFailure)),
        ]
        | None
    ) = None
    action_on_task_failure: (
        Annotated[
            ActionOnTaskFailure | Expression,
            Slot(Kind.ENUM, choices=choices(ActionOnTaskFailure)),
        ]
        | None
    ) = None
    availability_zone: Text | None = None
    subnet_id: Text | None = None
    key_pair: Text | None = None
    region: Text | None = None
    init_timeout: PeriodValue | None = None
    http_proxy: HttpProxyRef = None
    use_on_demand_on_last_attempt: Boolean | None = None
    role: Text | None = None
    resource_role: Text | None = None


class Ec2Resource(Resource):
    """One EC2 instance running Task Runner."""

    type: Literal["Ec2Resource"] = "Ec2Resource"
    role: Text
    resource_role: Text
    instance_type: Text | None = None
    image_id: Text | None = None
    terminate_after: PeriodValue | None = None
    associate_public_ip_address: Boolean | None = None
    security_groups: TextList = ()
    security_group_ids: TextList = ()
    spot_bid_price: BidPrice | None = None
    run_as_user: Text | None = None
    instance_count: Integer | None = None
    """Deprecated."""
    min_instance_count: Integer | None = None
    """Deprecated."""
    log_uri: Text | None = None
    """Undocumented; seen in AWS examples."""


EbsRef = Annotated[Ref | None, ref("EbsConfiguration")]
GroupConfigurationRef = Annotated[Ref | None, ref("EmrConfiguration")]


class EmrCluster(Resource):
    """An EMR cluster; every field is optional."""

    at_most_one = (("releaseLabel", "amiVersion"),)

    type: Literal["EmrCluster"] = "EmrCluster"
    release_label: Text | None = None
    ami_version: Text | None = None
    applications: TextList = ()
    configuration: Annotated[tuple[Ref, ...], ref("EmrConfiguration", multi=True)] = ()
    bootstrap_action: Annotated[tuple[str, ...], Slot(Kind.STRING, multi=True, maximum=255)] = ()
    master_instance_type: Text | None = None
    core_instance_type: Text | None = None
    task_instance_type: Text | None = None
    core_instance_count: Integer | None = None
    task_instance_count: Integer | None = None
    master_instance_bid_price: BidPrice | None = None
    core_instance_bid_price: BidPrice | None = None
    task_instance_bid_price: BidPrice | None = None
    master_group_configuration: GroupConfigurationRef = None
    core_group_configuration: GroupConfigurationRef = None
    task_group_configuration: GroupConfigurationRef = None
    master_ebs_configuration: EbsRef = None
    core_ebs_configuration: EbsRef = None
    task_ebs_configuration: EbsRef = None
    hadoop_scheduler_type: (
        Annotated[
            HadoopSchedulerType | Expression,
            Slot(Kind.ENUM, choices=choices(HadoopSchedulerType)),
        ]
        | None
    ) = None
    emr_managed_master_security_group_id: Text | None = None
    emr_managed_slave_security_group_id: Text | None = None
    service_access_security_group_id: Text | None = None
    additional_master_security_group_ids: TextList = ()
    additional_slave_security_group_ids: TextList = ()
    enable_debugging: Boolean | None = None
    supported_products: TextList = ()
    terminate_after: PeriodValue | None = None
    visible_to_all_users: Boolean | None = None
    hadoop_version: Text | None = None
    """Legacy (AMI 2.x/3.x)."""
    emr_log_uri: Text | None = None
    """Legacy: cluster log location, overriding pipelineLogUri."""
    install_hive: Text | None = None
    """Legacy."""
    keypair: Text | None = None
    """Legacy misspelling of keyPair."""

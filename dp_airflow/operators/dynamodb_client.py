"""The plain DynamoDB client behind Airflow's AWS connection, shared by the DynamoDB tasks."""

from __future__ import annotations

from typing import Any


def dynamodb_client(aws_conn_id: str | None) -> Any:
    """boto3's low-level client (a resource's client would turn items into Python types)."""
    from airflow.providers.amazon.aws.hooks.base_aws import AwsBaseHook

    return AwsBaseHook(aws_conn_id=aws_conn_id, client_type="dynamodb").get_conn()


def dynamodb_table_exists(client: Any, table: str) -> bool:
    """Whether the DynamoDB table exists."""
    try:
        client.describe_table(TableName=table)
    except client.exceptions.ResourceNotFoundException:
        return False
    return True

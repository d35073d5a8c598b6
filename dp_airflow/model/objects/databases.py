"""Databases that SQL data nodes and activities connect to."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from dp_airflow.model.objects.base import Category, ObjectModel, Secret, Text, TextList


class Database(ObjectModel):
    """Fields every database has: credentials and the database name."""

    category: ClassVar[Category] = Category.DATABASE

    username: Text
    password: Secret = Field(alias="*password")
    database_name: Text | None = None
    jdbc_properties: TextList = ()
    """``A=B`` driver properties."""


class JdbcDatabase(Database):
    """A database reached by a JDBC connection string."""

    type: Literal["JdbcDatabase"] = "JdbcDatabase"
    connection_string: Text
    jdbc_driver_class: Text
    jdbc_driver_jar_uri: Text | None = None


class RdsDatabase(Database):
    """An Amazon RDS instance (MySQL or PostgreSQL), found by its id."""

    type: Literal["RdsDatabase"] = "RdsDatabase"
    rds_instance_id: Text
    jdbc_driver_jar_uri: Text | None = None
    region: Text | None = None


class RedshiftDatabase(Database):
    """An Amazon Redshift cluster, by id or connection string."""

    one_of = (("clusterId", "connectionString"),)

    type: Literal["RedshiftDatabase"] = "RedshiftDatabase"
    cluster_id: Text | None = None
    connection_string: Text | None = None
    region: Text | None = None

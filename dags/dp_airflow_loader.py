"""Airflow DAG loader for AWS Data Pipeline definitions (dp-airflow).

Copy this file into your Airflow dags folder: every Data Pipeline definition beside it or in its
subfolders (``*.json``, ``*.yaml``, ``*.template``, pipeline folders) becomes a DAG. A definition
that cannot be loaded becomes a DAG of the same id tagged ``dp-airflow:invalid`` whose docs list
its errors; the other pipelines are not affected.
"""

# Airflow's DAG processor imports the airflow.* modules a DAG file names once, before it starts
# the fresh process that parses the file. Naming those dp-airflow's DAGs are built from spares
# every parse their import (a third of a warm parse of 100 pipelines). Only modules of
# dp-airflow's own dependencies: an import failing here would fail every pipeline's DAG.
import airflow.providers.amazon.aws.hooks.s3
import airflow.providers.amazon.aws.hooks.sns
import airflow.providers.amazon.aws.sensors.s3
import airflow.sdk
import airflow.timetables.base  # noqa: F401 - imported for the processor, as all above

from dp_airflow.loader import load_pipelines

load_pipelines(globals(), __file__)

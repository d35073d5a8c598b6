"""Airflow DAG loader for AWS Data Pipeline definitions (dp-airflow).

Copy this file into your Airflow dags folder: every Data Pipeline definition beside it or in its
subfolders (``*.json``, ``*.yaml``, ``*.template``, pipeline folders) becomes a DAG. A definition
that cannot be loaded becomes a DAG of the same id tagged ``dp-airflow:invalid`` whose docs list
its errors; the other pipelines are not affected.
"""

from dp_airflow.loader import load_pipelines

load_pipelines(globals(), __file__)

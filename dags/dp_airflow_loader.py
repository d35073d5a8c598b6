"""Airflow DAG loader for AWS Data Pipeline definitions (dp-airflow).

Copy this file into your Airflow dags folder: every Data Pipeline definition (``*.json``) beside
it becomes a DAG. Broken definitions are listed in Airflow's import errors under this file.
"""

from dp_airflow.loader import load_pipelines

load_pipelines(globals(), __file__)

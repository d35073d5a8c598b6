"""Run AWS Data Pipeline definitions on Apache Airflow 3."""

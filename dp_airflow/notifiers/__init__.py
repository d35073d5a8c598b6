"""Data Pipeline actions as Airflow notifiers."""

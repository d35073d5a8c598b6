"""The ``dp-airflow`` command line."""

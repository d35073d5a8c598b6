"""Translation: a validated definition, then a plain-data plan, then an Airflow DAG."""

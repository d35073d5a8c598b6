"""The Data Pipelines view inside the Airflow UI (a FastAPI app the plugin mounts)."""

"""dp-airflow's operators: one per Data Pipeline activity type."""

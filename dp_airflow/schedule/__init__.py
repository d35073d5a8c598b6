"""Data Pipeline schedules: instance arithmetic (pure) and the Airflow timetable."""

"""The Airflow plugin: registers dp-airflow's timetable (Airflow refuses unregistered ones)."""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from dp_airflow.schedule.timetable import DataPipelineTimetable


class DataPipelinePlugin(AirflowPlugin):
    name = "dp_airflow"
    timetables = [DataPipelineTimetable]  # noqa: RUF012 - Airflow reads the class attribute

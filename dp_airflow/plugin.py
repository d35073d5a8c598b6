"""The Airflow plugin: dp-airflow's timetable (Airflow refuses unregistered ones) and the Data
Pipelines view (a FastAPI app at ``/data-pipelines``, a navigation item and a Definition tab on
DAGs)."""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from dp_airflow.schedule.timetable import DataPipelineTimetable
from dp_airflow.ui.app import app as data_pipelines_app


class DataPipelinePlugin(AirflowPlugin):
    """Registers the timetable and the Data Pipelines view with Airflow."""

    name = "dp_airflow"
    timetables = [DataPipelineTimetable]  # noqa: RUF012 - Airflow reads the class attribute
    fastapi_apps = [  # noqa: RUF012
        {"app": data_pipelines_app, "url_prefix": "/data-pipelines", "name": "Data Pipelines"}
    ]
    external_views = [  # noqa: RUF012
        {
            "name": "Data Pipelines",
            "href": "/data-pipelines/",
            "destination": "nav",
            "url_route": "data-pipelines",
        },
        {
            "name": "Definition",
            "href": "/data-pipelines/dags/{DAG_ID}",
            "destination": "dag",
            "url_route": "definition",
        },
    ]

"""The Data Pipelines web app, mounted by the plugin at ``/data-pipelines`` in the api-server.

Every page and endpoint requires an authenticated Airflow user (Airflow's own ``get_user``
dependency: the UI's session cookie or a bearer token) and shows only the pipelines whose DAGs
the user may read (the auth manager's per-DAG permission). Pipelines not parsed into DAGs yet are
not shown: there is no DAG to hold a permission on.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Query
from fastapi.responses import HTMLResponse

if TYPE_CHECKING:
    from dp_airflow.ui.catalog import PipelineView

app = FastAPI(title="dp-airflow: Data Pipelines", docs_url=None, redoc_url=None)


def _user() -> Any:
    from airflow.api_fastapi.core_api.security import get_user

    return get_user


User = Annotated[Any, Depends(_user())]


def _readable(user: Any, wanted: str | None = None) -> list[PipelineView]:
    """The pipelines the user may read; with ``wanted``, only those of files that may give
    that DAG id are translated (a pipeline's page need not translate the whole folder)."""
    from airflow.api_fastapi.app import get_auth_manager
    from airflow.configuration import conf

    from dp_airflow.discovery import discover
    from dp_airflow.loader import listed_files
    from dp_airflow.ui.catalog import pipelines

    root = Path(conf.get("core", "dags_folder"))
    allowed = get_auth_manager().get_authorized_dag_ids(user=user, method="GET")
    views = pipelines(discover(root, listed_files(root), wanted))
    return [v for v in views if v.dag_id in allowed]


def _last_runs(dag_ids: list[str]) -> dict[str, str]:
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session
    from sqlalchemy import select

    out: dict[str, str] = {}
    with create_session() as session:
        rows = session.execute(
            select(DagRun.dag_id, DagRun.state, DagRun.run_after)
            .where(DagRun.dag_id.in_(dag_ids))
            .order_by(DagRun.run_after)
        )
        for dag_id, state, run_after in rows:
            out[dag_id] = f"{state} ({run_after:%Y-%m-%d %H:%M})"
    return out


def _one(user: Any, dag_id: str) -> PipelineView:
    views = {v.dag_id: v for v in _readable(user, dag_id)}
    if dag_id not in views:
        raise HTTPException(
            404, f"no Data Pipeline definition you may read gives the DAG {dag_id!r}"
        )
    return views[dag_id]


@app.get("/api/pipelines")
def list_pipelines(user: User) -> list[dict[str, Any]]:
    """Every pipeline the user may read, with ``dag_id``, ``file``, ``valid``, ``diagnostics``."""
    return [v.summary() for v in _readable(user)]


@app.get("/api/pipelines/{dag_id}")
def get_pipeline(dag_id: str, user: User) -> dict[str, Any]:
    """One pipeline: its summary, objects, parameters and masked definition."""
    return _one(user, dag_id).detail()


@app.get("/", response_class=HTMLResponse)
def list_page(
    user: User, state: Annotated[str | None, Query(pattern="^(valid|warnings|broken)$")] = None
) -> str:
    """The Data Pipelines list: the pipelines the user may read, by state."""
    from dp_airflow.ui.pages import list_page as render

    views = _readable(user)
    return render(views, _last_runs([v.dag_id for v in views]), state)


@app.get("/dags/{dag_id}", response_class=HTMLResponse)
def pipeline_page(dag_id: str, user: User) -> str:
    """One pipeline's page, if the user may read its DAG."""
    from dp_airflow.ui.pages import pipeline_page as render

    view = _one(user, dag_id)
    return render(view, _last_runs([dag_id]).get(dag_id, "no run"))
